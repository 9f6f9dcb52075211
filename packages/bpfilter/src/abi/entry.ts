/** `struct ipt_ip` (84 bytes) and `struct ipt_entry` (112 bytes), x86-64. */
import {
  readCString,
  readIpv4,
  readU16,
  readU32,
  readU64,
  writeIpv4,
  writeU16,
  writeU32,
  writeU64,
} from './bytes.js';

/** `IFNAMSIZ`: interface name and mask fields are 16 bytes. */
export const IFNAMSIZ = 16;
/** `sizeof(struct ipt_ip)`. */
export const IPT_IP_SIZE = 84;
/** `sizeof(struct ipt_entry)`: matches start here (`elems`). */
export const IPT_ENTRY_SIZE = 112;

/** Byte offsets inside `ipt_entry` (for validators that read in place). */
export const IptEntryOffset = {
  src: 0,
  dst: 4,
  smsk: 8,
  dmsk: 12,
  iniface: 16,
  outiface: 32,
  inifaceMask: 48,
  outifaceMask: 64,
  proto: 80,
  flags: 82,
  invflags: 83,
  nfcache: 84,
  targetOffset: 88,
  nextOffset: 90,
  comefrom: 92,
  pcnt: 96,
  bcnt: 104,
} as const;

/** `struct ipt_ip`: the fixed part of a rule. Addresses are dotted quads. */
export interface IptIp {
  src: string;
  dst: string;
  srcMask: string;
  dstMask: string;
  inIface: string;
  outIface: string;
  /** 16 mask bytes: which bytes of the interface name must match. */
  inIfaceMask: Uint8Array;
  outIfaceMask: Uint8Array;
  proto: number;
  flags: number;
  invflags: number;
}

/** The fixed part of `struct ipt_entry`. */
export interface IptEntryHeader {
  ip: IptIp;
  nfcache: number;
  targetOffset: number;
  nextOffset: number;
  comefrom: number;
  packets: bigint;
  bytes: bigint;
}

/**
 * How a decoder hands out byte fields such as the interface masks: copies (default), or views
 * into the input, so that decoding a large table allocates no buffer per field.
 */
export interface DecodeFieldOptions {
  /** Return views into the input instead of copies; the caller copies what it keeps. Default false. */
  views?: boolean;
}

/** Decode an `ipt_ip` at `offset`. */
export function decodeIptIp(
  bytes: Uint8Array,
  offset = 0,
  options: DecodeFieldOptions = {},
): IptIp {
  const field = (start: number, end: number) =>
    options.views ? bytes.subarray(start, end) : bytes.slice(start, end);
  return {
    src: readIpv4(bytes, offset + 0),
    dst: readIpv4(bytes, offset + 4),
    srcMask: readIpv4(bytes, offset + 8),
    dstMask: readIpv4(bytes, offset + 12),
    inIface: readCString(bytes, offset + 16, IFNAMSIZ),
    outIface: readCString(bytes, offset + 32, IFNAMSIZ),
    inIfaceMask: field(offset + 48, offset + 64),
    outIfaceMask: field(offset + 64, offset + 80),
    proto: readU16(bytes, offset + 80),
    flags: bytes[offset + 82] ?? 0,
    invflags: bytes[offset + 83] ?? 0,
  };
}

/** Write an `ipt_ip` at `offset` (84 bytes). */
export function writeIptIp(bytes: Uint8Array, offset: number, ip: IptIp): void {
  writeIpv4(bytes, offset + 0, ip.src);
  writeIpv4(bytes, offset + 4, ip.dst);
  writeIpv4(bytes, offset + 8, ip.srcMask);
  writeIpv4(bytes, offset + 12, ip.dstMask);
  writeIfaceName(bytes, offset + 16, ip.inIface);
  writeIfaceName(bytes, offset + 32, ip.outIface);
  bytes.set(ip.inIfaceMask.subarray(0, IFNAMSIZ), offset + 48);
  bytes.set(ip.outIfaceMask.subarray(0, IFNAMSIZ), offset + 64);
  writeU16(bytes, offset + 80, ip.proto);
  bytes[offset + 82] = ip.flags;
  bytes[offset + 83] = ip.invflags;
}

/** Interface names may use all 16 bytes (no NUL needed: the kernel compares with the mask). */
function writeIfaceName(bytes: Uint8Array, offset: number, name: string): void {
  if (name.length > IFNAMSIZ)
    throw new RangeError(`interface name "${name}" is longer than ${IFNAMSIZ} bytes`);
  bytes.fill(0, offset, offset + IFNAMSIZ);
  for (let i = 0; i < name.length; i++) bytes[offset + i] = name.charCodeAt(i) & 0xff;
}

/** Decode the 112-byte fixed part of an `ipt_entry` at `offset`. */
export function decodeEntryHeader(
  bytes: Uint8Array,
  offset = 0,
  options: DecodeFieldOptions = {},
): IptEntryHeader {
  return {
    ip: decodeIptIp(bytes, offset, options),
    nfcache: readU32(bytes, offset + 84),
    targetOffset: readU16(bytes, offset + 88),
    nextOffset: readU16(bytes, offset + 90),
    comefrom: readU32(bytes, offset + 92),
    packets: readU64(bytes, offset + 96),
    bytes: readU64(bytes, offset + 104),
  };
}

/** Write the 112-byte fixed part of an `ipt_entry` at `offset`. */
export function writeEntryHeader(bytes: Uint8Array, offset: number, entry: IptEntryHeader): void {
  writeIptIp(bytes, offset, entry.ip);
  writeU32(bytes, offset + 84, entry.nfcache);
  writeU16(bytes, offset + 88, entry.targetOffset);
  writeU16(bytes, offset + 90, entry.nextOffset);
  writeU32(bytes, offset + 92, entry.comefrom);
  writeU64(bytes, offset + 96, entry.packets);
  writeU64(bytes, offset + 104, entry.bytes);
}

/** The interface mask iptables derives from a name: `eth0` covers 5 bytes (with NUL), `eth+` 3. */
export function interfaceMaskFor(name: string): Uint8Array {
  const mask = new Uint8Array(IFNAMSIZ);
  if (name.length === 0) return mask;
  const covered = name.endsWith('+') ? name.length - 1 : Math.min(name.length + 1, IFNAMSIZ);
  mask.fill(0xff, 0, covered);
  return mask;
}

/** The all-wildcard `ipt_ip` (what `unconditional()` compares against). */
export function emptyIptIp(): IptIp {
  return {
    src: '0.0.0.0',
    dst: '0.0.0.0',
    srcMask: '0.0.0.0',
    dstMask: '0.0.0.0',
    inIface: '',
    outIface: '',
    inIfaceMask: new Uint8Array(IFNAMSIZ),
    outIfaceMask: new Uint8Array(IFNAMSIZ),
    proto: 0,
    flags: 0,
    invflags: 0,
  };
}

/**
 * Assemble one `ipt_entry`: header, encoded matches, encoded target (each already 8-byte
 * sized); `target_offset` and `next_offset` are computed.
 */
export function assembleEntry(
  fixed: { ip: IptIp; nfcache?: number; comefrom?: number; packets?: bigint; bytes?: bigint },
  matches: readonly Uint8Array[],
  target: Uint8Array,
): Uint8Array {
  const targetOffset = IPT_ENTRY_SIZE + matches.reduce((sum, m) => sum + m.length, 0);
  const nextOffset = targetOffset + target.length;
  if (nextOffset > 0xffff) throw new RangeError(`entry is too large (${nextOffset} bytes)`);
  const bytes = new Uint8Array(nextOffset);
  writeEntryHeader(bytes, 0, {
    ip: fixed.ip,
    nfcache: fixed.nfcache ?? 0,
    targetOffset,
    nextOffset,
    comefrom: fixed.comefrom ?? 0,
    packets: fixed.packets ?? 0n,
    bytes: fixed.bytes ?? 0n,
  });
  let pos = IPT_ENTRY_SIZE;
  for (const m of matches) {
    bytes.set(m, pos);
    pos += m.length;
  }
  bytes.set(target, targetOffset);
  return bytes;
}

/** Concatenate byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}
