/** `addr/mask` strings of the model <-> address and mask values. */
import { formatIpv4, parseIpv4 } from '../abi/index.js';

/** Prefix length of a contiguous mask, or undefined. */
export function prefixLength(mask: number): number | undefined {
  const inverted = ~mask >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return undefined;
  return 32 - Math.log2(inverted + 1);
}

/** Mask of a prefix length. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parse `a.b.c.d`, `a.b.c.d/N` or `a.b.c.d/m.m.m.m` into address and mask values. */
export function parseCidr(text: string): { address: number; mask: number } {
  // Enforcement plans parse every rule's addresses a few times: no split, no regex.
  const slash = text.indexOf('/');
  if (slash < 0) return { address: parseIpv4(text), mask: 0xffffffff };
  const address = parseIpv4(text.slice(0, slash));
  const end = text.indexOf('/', slash + 1);
  const maskText = text.slice(slash + 1, end < 0 ? text.length : end);
  const prefix = prefixDigits(maskText);
  if (prefix !== undefined && prefix <= 32) return { address, mask: maskOf(prefix) };
  return { address, mask: parseIpv4(maskText) };
}

/** The value of one or two decimal digits, or undefined for anything else. */
function prefixDigits(text: string): number | undefined {
  if (text.length < 1 || text.length > 2) return undefined;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value;
}

/** Format an address and mask as iptables-save does: `/N` when contiguous, else the dotted mask. */
export function formatCidr(address: number, mask: number): string {
  const prefix = prefixLength(mask);
  return `${formatIpv4(address)}/${prefix === undefined ? formatIpv4(mask) : prefix}`;
}
