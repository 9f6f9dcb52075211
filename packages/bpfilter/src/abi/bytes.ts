/** Small byte helpers shared by the struct codecs (x86-64: little-endian, 8-byte XT_ALIGN). */

/** `XT_ALIGN`: entries, matches and targets are aligned to 8 bytes on x86-64. */
export function xtAlign(n: number): number {
  return (n + 7) & ~7;
}

/** A DataView over exactly `bytes` (which may be a view into a larger buffer). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const latin1 = new TextDecoder('latin1');

/** The NUL-terminated string in `bytes[offset, offset + size)` (all of it if no NUL). */
export function readCString(bytes: Uint8Array, offset: number, size: number): string {
  const end = offset + size;
  let stop = offset;
  while (stop < end && bytes[stop] !== 0) stop++;
  return latin1.decode(bytes.subarray(offset, stop));
}

/** Does `bytes[offset, offset + size)` contain a NUL (the kernel's `strnlen(s, size) < size`)? */
export function hasNul(bytes: Uint8Array, offset: number, size: number): boolean {
  for (let i = offset; i < offset + size; i++) if (bytes[i] === 0) return true;
  return false;
}

/**
 * Write `text` into a fixed `size`-byte field, zero-filled. Throws a RangeError if it does
 * not fit with its NUL (callers validate names before encoding).
 */
export function writeCString(bytes: Uint8Array, offset: number, size: number, text: string): void {
  if (text.length >= size) throw new RangeError(`"${text}" does not fit a ${size}-byte field with its NUL`);
  bytes.fill(0, offset, offset + size);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || code === 0) throw new RangeError(`"${text}" has a character that is not a non-NUL byte`);
    bytes[offset + i] = code;
  }
}

/** IPv4 address bytes (network order) at `offset` as dotted quad. */
export function readIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Parse a dotted-quad IPv4 address into its 32-bit value (network order as a number). */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: "${text}"`);
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) throw new RangeError(`not an IPv4 address: "${text}"`);
    value = value * 256 + Number(part);
  }
  return value >>> 0;
}

/** Format a 32-bit IPv4 value as dotted quad. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** Write a dotted-quad address at `offset` in network order. */
export function writeIpv4(bytes: Uint8Array, offset: number, text: string): void {
  const value = parseIpv4(text);
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/** Lower-case hex of `bytes` (for messages and tests). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Bytes of a hex string. */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
