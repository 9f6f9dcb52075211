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
  const [addressText = '', maskText] = text.split('/', 2);
  const address = parseIpv4(addressText);
  if (maskText === undefined) return { address, mask: 0xffffffff };
  if (/^\d{1,2}$/.test(maskText) && Number(maskText) <= 32)
    return { address, mask: maskOf(Number(maskText)) };
  return { address, mask: parseIpv4(maskText) };
}

/** Format an address and mask as iptables-save does: `/N` when contiguous, else the dotted mask. */
export function formatCidr(address: number, mask: number): string {
  const prefix = prefixLength(mask);
  return `${formatIpv4(address)}/${prefix === undefined ? formatIpv4(mask) : prefix}`;
}
