/**
 * Data layouts of the extensions bpfilter understands: matches `tcp` (`xt_tcp`), `udp`
 * (`xt_udp`), `icmp` (`ipt_icmp`); targets `REJECT` (`ipt_reject_info`), `LOG`
 * (`ipt_log_info`). Sizes are the kernel's `matchsize`/`targetsize` (before XT_ALIGN).
 * Ports are host order (u16 little-endian on x86-64), as the kernel stores them.
 */
import { readCString, readU16, readU32, writeCString, writeU16, writeU32 } from './bytes.js';

/** `sizeof(struct xt_tcp)`. */
export const XT_TCP_SIZE = 12;
/** `sizeof(struct xt_udp)`. */
export const XT_UDP_SIZE = 10;
/** `sizeof(struct ipt_icmp)`. */
export const IPT_ICMP_SIZE = 4;
/** `sizeof(struct ipt_reject_info)`. */
export const IPT_REJECT_INFO_SIZE = 4;
/** `sizeof(struct ipt_log_info)`. */
export const IPT_LOG_INFO_SIZE = 32;
/** Length of the LOG prefix field (with its NUL). */
export const IPT_LOG_PREFIX_SIZE = 30;

/** The port ranges `struct xt_tcp` and `struct xt_udp` both start with (bytes 0 to 7). */
export interface XtPortRanges {
  sourcePorts: [number, number];
  destinationPorts: [number, number];
}

/** `struct xt_tcp`. */
export interface XtTcp extends XtPortRanges {
  option: number;
  flagsMask: number;
  flagsCompare: number;
  invflags: number;
}

/** `struct xt_udp`. */
export interface XtUdp extends XtPortRanges {
  invflags: number;
}

/** `struct ipt_icmp`. */
export interface IptIcmp {
  type: number;
  codeMin: number;
  codeMax: number;
  invflags: number;
}

/** `struct ipt_log_info`. */
export interface IptLogInfo {
  level: number;
  logflags: number;
  prefix: string;
}

/** Encode `xt_tcp` data (12 bytes). */
export function encodeTcp(tcp: XtTcp): Uint8Array {
  const bytes = new Uint8Array(XT_TCP_SIZE);
  writePortRanges(bytes, tcp);
  bytes[8] = tcp.option;
  bytes[9] = tcp.flagsMask;
  bytes[10] = tcp.flagsCompare;
  bytes[11] = tcp.invflags;
  return bytes;
}

/** Decode `xt_tcp` data (at least 12 bytes). */
export function decodeTcp(bytes: Uint8Array): XtTcp {
  return {
    sourcePorts: portRange(bytes, 0),
    destinationPorts: portRange(bytes, 4),
    option: bytes[8] ?? 0,
    flagsMask: bytes[9] ?? 0,
    flagsCompare: bytes[10] ?? 0,
    invflags: bytes[11] ?? 0,
  };
}

/** Encode `xt_udp` data (10 bytes: ports, invflags, 1 byte pad). */
export function encodeUdp(udp: XtUdp): Uint8Array {
  const bytes = new Uint8Array(XT_UDP_SIZE);
  writePortRanges(bytes, udp);
  bytes[8] = udp.invflags;
  return bytes;
}

/** Decode `xt_udp` data (at least 10 bytes). */
export function decodeUdp(bytes: Uint8Array): XtUdp {
  return {
    sourcePorts: portRange(bytes, 0),
    destinationPorts: portRange(bytes, 4),
    invflags: bytes[8] ?? 0,
  };
}

function writePortRanges(bytes: Uint8Array, ports: XtPortRanges): void {
  writeU16(bytes, 0, ports.sourcePorts[0]);
  writeU16(bytes, 2, ports.sourcePorts[1]);
  writeU16(bytes, 4, ports.destinationPorts[0]);
  writeU16(bytes, 6, ports.destinationPorts[1]);
}

/**
 * One port range (`u16[2]`) at `at`. The decoders write their object literals out, without a
 * spread of a shared part: an object made by a spread per entry slows the enforcement compile
 * of a large table, whose plan reads these objects throughout.
 */
function portRange(bytes: Uint8Array, at: number): [number, number] {
  return [readU16(bytes, at), readU16(bytes, at + 2)];
}

/** Encode `ipt_icmp` data (4 bytes). */
export function encodeIcmp(icmp: IptIcmp): Uint8Array {
  return Uint8Array.of(icmp.type, icmp.codeMin, icmp.codeMax, icmp.invflags);
}

/** Decode `ipt_icmp` data. */
export function decodeIcmp(bytes: Uint8Array): IptIcmp {
  return {
    type: bytes[0] ?? 0,
    codeMin: bytes[1] ?? 0,
    codeMax: bytes[2] ?? 0,
    invflags: bytes[3] ?? 0,
  };
}

/** `enum ipt_reject_with`, indexed by value: the names iptables prints after `--reject-with`. */
export const REJECT_WITH = [
  'icmp-net-unreachable',
  'icmp-host-unreachable',
  'icmp-proto-unreachable',
  'icmp-port-unreachable',
  'icmp-echo-reply',
  'icmp-net-prohibited',
  'icmp-host-prohibited',
  'tcp-reset',
  'icmp-admin-prohibited',
] as const;
/** A REJECT type (`--reject-with`). */
export type RejectWith = (typeof REJECT_WITH)[number];
/** `IPT_ICMP_ECHOREPLY`: the kernel refuses it. */
export const IPT_ICMP_ECHOREPLY = 4;
/** `IPT_TCP_RESET`: only for `-p tcp` rules. */
export const IPT_TCP_RESET = 7;

/** Encode `ipt_reject_info` data (u32 `with`). */
export function encodeRejectInfo(withValue: number): Uint8Array {
  const bytes = new Uint8Array(IPT_REJECT_INFO_SIZE);
  writeU32(bytes, 0, withValue);
  return bytes;
}

/** Decode `ipt_reject_info` data: the raw `with` value. */
export function decodeRejectInfo(bytes: Uint8Array): number {
  return readU32(bytes, 0);
}

/** Encode `ipt_log_info` data (32 bytes). */
export function encodeLogInfo(log: IptLogInfo): Uint8Array {
  const bytes = new Uint8Array(IPT_LOG_INFO_SIZE);
  bytes[0] = log.level;
  bytes[1] = log.logflags;
  writeCString(bytes, 2, IPT_LOG_PREFIX_SIZE, log.prefix);
  return bytes;
}

/** Decode `ipt_log_info` data. */
export function decodeLogInfo(bytes: Uint8Array): IptLogInfo {
  return {
    level: bytes[0] ?? 0,
    logflags: bytes[1] ?? 0,
    prefix: readCString(bytes, 2, IPT_LOG_PREFIX_SIZE),
  };
}
