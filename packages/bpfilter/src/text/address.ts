/** Addresses of `-s`/`-d`: `A.B.C.D`, `A.B.C.D/N` or `A.B.C.D/M.M.M.M` (no host names). */
import { formatIpv4, parseIpv4 } from '../abi/index.js';

/** An address with its mask, both dotted quads, address already masked (as iptables stores it). */
export interface MaskedAddress {
  address: string;
  mask: string;
}

/** Parses an address; a missing prefix means /32, and the address is masked like iptables does. */
export function parseAddress(text: string): MaskedAddress {
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const suffix = slash < 0 ? undefined : text.slice(slash + 1);
  let mask: number;
  try {
    if (suffix === undefined) mask = 0xffffffff;
    else if (/^\d{1,2}$/.test(suffix) && Number(suffix) <= 32) mask = Number(suffix) === 0 ? 0 : (0xffffffff << (32 - Number(suffix))) >>> 0;
    else mask = parseIpv4(suffix);
    const address = (parseIpv4(host) & mask) >>> 0;
    return { address: formatIpv4(address), mask: formatIpv4(mask) };
  } catch {
    throw new SyntaxError(`invalid address "${text}" (expected A.B.C.D[/N or /A.B.C.D])`);
  }
}

/** `A.B.C.D/N` for contiguous masks (iptables prints `/32` too), `A.B.C.D/M.M.M.M` otherwise. */
export function formatAddress(address: string, mask: string): string {
  const bits = parseIpv4(mask);
  for (let prefix = 0; prefix <= 32; prefix++) {
    const contiguous = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (contiguous === bits) return `${address}/${prefix}`;
  }
  return `${address}/${mask}`;
}
