/**
 * Protocol names of `-p`, resolved as libxtables does: its own table first
 * (`xtables_chain_protos`), then the system's protocol database (`/etc/protocols`, what
 * `getprotobynumber` reads), else the number. So the text matches what iptables-legacy-save
 * prints on the same machine.
 */
import { systemDatabase } from './system-database.js';

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

/** A protocol database: official name by number, number by name or alias. */
export interface ProtocolDatabase {
  byNumber: ReadonlyMap<number, string>;
  byName: ReadonlyMap<string, number>;
}

/** Parses `/etc/protocols` text (`name number aliases... # comment`). */
export function parseProtocolDatabase(text: string): ProtocolDatabase {
  const byNumber = new Map<number, string>();
  const byName = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, number, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    if (!name || number === undefined || !/^\d+$/.test(number)) continue;
    const value = Number(number);
    if (!byNumber.has(value)) byNumber.set(value, name); // getprotobynumber: the first entry
    for (const alias of [name, ...aliases]) if (!byName.has(alias)) byName.set(alias, value);
  }
  return { byNumber, byName };
}

/** This machine's `/etc/protocols` (empty when there is none), read once. */
export const systemProtocols: () => ProtocolDatabase = systemDatabase(
  '/etc/protocols',
  parseProtocolDatabase,
);

/** `-p` value -> protocol number (`all` is 0). */
export function parseProtocol(
  text: string,
  database: ProtocolDatabase = systemProtocols(),
): number {
  const lower = text.toLowerCase();
  if (lower === 'all') return 0;
  if (/^\d{1,3}$/.test(text) && Number(text) <= 255) return Number(text);
  const named = PROTOCOLS.find(([name]) => name === lower);
  if (named) return named[1];
  const fromDatabase = database.byName.get(text) ?? database.byName.get(lower);
  if (fromDatabase !== undefined && fromDatabase <= 255) return fromDatabase;
  throw new SyntaxError(`unknown protocol "${text}"`);
}

/** Protocol number -> the name iptables-save prints (or the number). */
export function formatProtocol(
  proto: number,
  database: ProtocolDatabase = systemProtocols(),
): string {
  return (
    PROTOCOLS.find(([, number]) => number === proto)?.[0] ??
    database.byNumber.get(proto) ??
    String(proto)
  );
}
