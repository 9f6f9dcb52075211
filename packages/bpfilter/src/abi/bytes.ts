/** Small byte helpers shared by the struct codecs (x86-64: little-endian, 8-byte XT_ALIGN). */

/** `XT_ALIGN`: entries, matches and targets are aligned to 8 bytes on x86-64. */
export function xtAlign(n: number): number {
  return (n + 7) & ~7;
}

/**
 * A copy of `bytes` in memory of its own. Not `bytes.slice()`: on a `Buffer` (what Node's
 * sockets, `fs` and many callers hand over) that is a view of the same memory.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/**
 * A DataView over exactly `bytes` (which may be a view into a larger buffer). Hot paths use
 * the readU16/writeU32... helpers instead: taking `.buffer` of a small typed array makes V8
 * move it off its heap, which is slow when done per entry.
 */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Little-endian u16 at `offset`. */
export function readU16(bytes: Uint8Array, offset: number): number {
  return (bytes[offset] ?? 0) | ((bytes[offset + 1] ?? 0) << 8);
}
/** Little-endian u32 at `offset`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset] ?? 0) |
      ((bytes[offset + 1] ?? 0) << 8) |
      ((bytes[offset + 2] ?? 0) << 16) |
      ((bytes[offset + 3] ?? 0) << 24)) >>>
    0
  );
}
/** Little-endian i32 at `offset`. */
export function readI32(bytes: Uint8Array, offset: number): number {
  return readU32(bytes, offset) | 0;
}
/** Little-endian u64 at `offset`. */
export function readU64(bytes: Uint8Array, offset: number): bigint {
  return (BigInt(readU32(bytes, offset + 4)) << 32n) | BigInt(readU32(bytes, offset));
}
/** Write a little-endian u16. */
export function writeU16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
}
/** Write a little-endian u32 (or i32: the low 32 bits of `value`). */
export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}
/** Write a little-endian u64 (wrapping like the kernel's counters). */
export function writeU64(bytes: Uint8Array, offset: number, value: bigint): void {
  const v = BigInt.asUintN(64, value);
  writeU32(bytes, offset, Number(v & 0xffffffffn));
  writeU32(bytes, offset + 4, Number(v >> 32n));
}

/** Strings of up to 6 bytes read so far, by their bytes as a number (each byte 1 to 255). */
const shortStrings = new Map<number, string>();
const SHORT_STRING_BYTES = 6;
const SHORT_STRINGS_KEPT = 4096;

/** The NUL-terminated string in `bytes[offset, offset + size)` (all of it if no NUL), one char per byte. */
export function readCString(bytes: Uint8Array, offset: number, size: number): string {
  const end = offset + size;
  // Short names recur in every entry of a large table (extension and interface names): read
  // each once. No byte is 0, so the number is the bytes' own base-256 value.
  let key = 0;
  let i = offset;
  for (; i < end && i - offset < SHORT_STRING_BYTES; i++) {
    const byte = bytes[i] ?? 0;
    if (byte === 0) break;
    key = key * 256 + byte;
  }
  if (i === end || (bytes[i] ?? 0) === 0) {
    let text = shortStrings.get(key);
    if (text === undefined) {
      text = charsOf(bytes, offset, i);
      if (shortStrings.size < SHORT_STRINGS_KEPT) shortStrings.set(key, text);
    }
    return text;
  }
  while (i < end && (bytes[i] ?? 0) !== 0) i++;
  return charsOf(bytes, offset, i);
}

function charsOf(bytes: Uint8Array, from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) text += String.fromCharCode(bytes[i] ?? 0);
  return text;
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
  if (text.length >= size)
    throw new RangeError(`"${text}" does not fit a ${size}-byte field with its NUL`);
  bytes.fill(0, offset, offset + size);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff || code === 0)
      throw new RangeError(`"${text}" has a character that is not a non-NUL byte`);
    bytes[offset + i] = code;
  }
}

/** IPv4 address bytes (network order) at `offset` as dotted quad. */
export function readIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** The network-order IPv4 address at `offset` as its 32-bit value (no dotted quad made). */
export function readIpv4Value(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

/** Parse a dotted-quad IPv4 address into its 32-bit value (network order as a number). */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last part
    if (code >= 48 && code <= 57 && digits < 3) {
      part = part * 10 + (code - 48);
      digits++;
    } else if (code === 46 && digits > 0 && part <= 255) {
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else {
      throw new RangeError(`not an IPv4 address: "${text}"`);
    }
  }
  if (dots !== 4) throw new RangeError(`not an IPv4 address: "${text}"`);
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
