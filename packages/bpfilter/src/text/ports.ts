/**
 * Port ranges of `--sport`/`--dport`: `N`, `N:M`, `:M` (0:M), `N:` (N:65535); a port may be
 * a service name, looked up in the system's `/etc/services` as iptables' `getservbyname`
 * does. iptables-save always prints numbers.
 */
import { systemDatabase } from './system-database.js';

/** Service name (or alias) -> port, from `/etc/services` text (`name port/proto aliases...`). */
export function parseServices(text: string): ReadonlyMap<string, number> {
  const services = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, portProto, ...aliases] = line.replace(/#.*/, '').trim().split(/\s+/);
    const match = /^(\d+)\/(tcp|udp|sctp|dccp)$/.exec(portProto ?? '');
    if (!name || !match) continue;
    for (const alias of [name, ...aliases])
      if (!services.has(alias)) services.set(alias, Number(match[1]));
  }
  return services;
}

/** This machine's `/etc/services` (empty when there is none), read once. */
export const systemServices: () => ReadonlyMap<string, number> = systemDatabase(
  '/etc/services',
  parseServices,
);

function parsePort(text: string, services: ReadonlyMap<string, number>): number {
  if (/^\d{1,5}$/.test(text) && Number(text) <= 0xffff) return Number(text);
  const service = services.get(text);
  if (service !== undefined) return service;
  throw new SyntaxError(`invalid port "${text}"`);
}

/** Parses a port or range into `[min, max]`. */
export function parsePortRange(
  text: string,
  services: ReadonlyMap<string, number> = systemServices(),
): [number, number] {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const port = parsePort(text, services);
    return [port, port];
  }
  const low = colon === 0 ? 0 : parsePort(text.slice(0, colon), services);
  const high = colon === text.length - 1 ? 0xffff : parsePort(text.slice(colon + 1), services);
  if (low > high) throw new SyntaxError(`invalid port range "${text}": ${low} > ${high}`);
  return [low, high];
}

/** `N` or `N:M`, as iptables-save prints a range. */
export function formatPortRange([low, high]: readonly [number, number]): string {
  return low === high ? `${low}` : `${low}:${high}`;
}

export { isAnyPort } from '../model/canonical.js';
