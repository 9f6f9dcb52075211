/**
 * Protocol names of `-p`: the table libxtables consults before the system's protocol
 * database (`xtables_chain_protos`). Other protocols print and parse as numbers, so output
 * does not depend on this machine's /etc/protocols.
 */
const PROTOCOLS: ReadonlyArray<[string, number]> = [
  ['tcp', 6],
  ['sctp', 132],
  ['udp', 17],
  ['udplite', 136],
  ['icmp', 1],
  ['icmpv6', 58],
  ['esp', 50],
  ['ah', 51],
  ['mh', 135],
];

/** `-p` value -> protocol number (`all` is 0). */
export function parseProtocol(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'all') return 0;
  const named = PROTOCOLS.find(([name]) => name === lower);
  if (named) return named[1];
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  throw new SyntaxError(`unknown protocol "${text}"`);
}

/** Protocol number -> the name iptables-save prints (or the number). */
export function formatProtocol(proto: number): string {
  return PROTOCOLS.find(([, number]) => number === proto)?.[0] ?? String(proto);
}
