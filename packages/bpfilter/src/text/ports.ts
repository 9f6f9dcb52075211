/** Port ranges of `--sport`/`--dport`: `N`, `N:M`, `:M` (0:M), `N:` (N:65535). */

// A few service names, for rules written by hand; iptables resolves any name via the system.
const SERVICES: ReadonlyMap<string, number> = new Map([
  ['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53], ['http', 80],
  ['pop3', 110], ['ntp', 123], ['imap', 143], ['snmp', 161], ['https', 443],
]);

function parsePort(text: string): number {
  if (/^\d{1,5}$/.test(text) && Number(text) <= 0xffff) return Number(text);
  const service = SERVICES.get(text.toLowerCase());
  if (service !== undefined) return service;
  throw new SyntaxError(`invalid port "${text}"`);
}

/** Parses a port or range into `[min, max]`. */
export function parsePortRange(text: string): [number, number] {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const port = parsePort(text);
    return [port, port];
  }
  const low = colon === 0 ? 0 : parsePort(text.slice(0, colon));
  const high = colon === text.length - 1 ? 0xffff : parsePort(text.slice(colon + 1));
  if (low > high) throw new SyntaxError(`invalid port range "${text}": ${low} > ${high}`);
  return [low, high];
}

/** `N` or `N:M`, as iptables-save prints a range. */
export function formatPortRange([low, high]: readonly [number, number]): string {
  return low === high ? `${low}` : `${low}:${high}`;
}

/** Is this the "any port" range (not printed)? */
export function isAnyPort([low, high]: readonly [number, number]): boolean {
  return low === 0 && high === 0xffff;
}
