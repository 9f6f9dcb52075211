/**
 * The extensions that steer packets by mark, port list and address type, and the conntrack
 * template target (`-m mark`, `-m multiport`, `-m addrtype`; `-j MARK`, `-j CT`/`NOTRACK`,
 * `-j TOS`), read from the kernel's structures (x86-64 layouts, include/uapi/linux/netfilter/
 * xt_*.h) into what an nft rule says, for both writers (raw-matches.ts and raw-targets.ts for
 * nft JSON, netlink-steering.ts for netlink). An option whose nftables form would not act the
 * same is refused by name here.
 */
import { readU16, readU32 } from '../abi/index.js';
import { checkRevision, UntranslatableError } from './errors.js';

/** `(value & mask) == want`, inverted or not. */
export interface MaskTest {
  mask: number;
  value: number;
  invert: boolean;
}

/** `-m mark --mark V/M` (revision 1, struct xt_mark_mtinfo1: u32 mark, mask; u8 invert). */
export function markOf(data: Uint8Array, rev: number): MaskTest {
  checkRevision('-m mark', rev, 1);
  return { value: readU32(data, 0), mask: readU32(data, 4), invert: invertOf('-m mark', data[8]) };
}

/**
 * An xt match's `u8 invert`: xt_mark and xt_multiport return `matched ^ invert`, which for
 * any byte above 1 is true whether or not the packet matched (iptables writes 0 or 1):
 * left to the kernel's module (nft_compat).
 */
function invertOf(extension: string, byte = 0): boolean {
  if (byte > 1) throw new UntranslatableError(extension, `invert byte ${byte}`);
  return byte === 1;
}

/** `-m multiport`: the ports of one side, each a value or an inclusive range. */
export interface PortList {
  field: 'sport' | 'dport';
  ports: [number, number][];
  invert: boolean;
}

// xt_multiport flags (enum xt_multiport_flags) and XT_MULTI_PORTS
const MULTIPORT_FIELD: Record<number, 'sport' | 'dport'> = { 0: 'sport', 1: 'dport' };
const XT_MULTI_PORTS = 15;

/**
 * `-m multiport --sports/--dports` (revision 1, struct xt_multiport_v1: u8 flags, count; u16
 * ports[15]; u8 pflags[15], invert): a port with its pflag set starts a range ending at the
 * next. `--ports` (either side) is refused: nft has no one field for it.
 */
export function multiportOf(data: Uint8Array, rev: number): PortList {
  checkRevision('-m multiport', rev, 1);
  const count = data[1] ?? 0;
  // No port (iptables writes none; the kernel's check takes it): xt_multiport matches nothing.
  if (count === 0 || count > XT_MULTI_PORTS)
    throw new UntranslatableError('-m multiport', `${count} ports`);
  const field = MULTIPORT_FIELD[data[0] ?? 255];
  if (field === undefined) throw new UntranslatableError('-m multiport', '--ports (either side)');
  const ports: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const port = readU16(data, 2 + 2 * i);
    if (!data[32 + i]) {
      ports.push([port, port]);
      continue;
    }
    // iptables writes none of these; xt_multiport would read an end past the count (whatever
    // bytes are there) or match no port of an upside-down range, and from Linux 6.x its
    // checkentry refuses them: left to the kernel's module (nft_compat).
    if (i + 1 >= count) throw new UntranslatableError('-m multiport', 'a range without its end');
    const end = readU16(data, 2 + 2 * ++i);
    if (end < port || data[32 + i])
      throw new UntranslatableError('-m multiport', `the range ${port}:${end} (flags)`);
    ports.push([port, end]);
  }
  return { field, ports, invert: invertOf('-m multiport', data[47]) };
}

/** RTN_* in the order of enum rtn_type: bit N of an addrtype mask stands for type N. */
export const RTN_NAMES = [
  'unspec',
  'unicast',
  'local',
  'broadcast',
  'anycast',
  'multicast',
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
  'nat',
  'xresolve',
];

/** One side of `-m addrtype`: `fib saddr|daddr type { types }`. */
export interface AddrTypeTest {
  key: 'saddr' | 'daddr';
  /** RTN_* numbers, lowest first. */
  types: number[];
  invert: boolean;
}

const XT_ADDRTYPE_INVERT_SOURCE = 1;
const XT_ADDRTYPE_INVERT_DEST = 2;

/**
 * `-m addrtype --src-type/--dst-type` (revision 1, struct xt_addrtype_info_v1: u16 source,
 * dest; u32 flags), source first; `--limit-iface-in/out` is refused.
 */
export function addrtypeOf(data: Uint8Array, rev: number): AddrTypeTest[] {
  checkRevision('-m addrtype', rev, 1);
  const flags = readU32(data, 4);
  if (flags & ~(XT_ADDRTYPE_INVERT_SOURCE | XT_ADDRTYPE_INVERT_DEST))
    throw new UntranslatableError('-m addrtype', '--limit-iface-in/--limit-iface-out');
  const out: AddrTypeTest[] = [];
  const side = (mask: number, key: 'saddr' | 'daddr', invert: boolean) => {
    if (mask === 0) return;
    if (mask >>> RTN_NAMES.length !== 0)
      throw new UntranslatableError('-m addrtype', `type mask 0x${mask.toString(16)}`);
    const types = RTN_NAMES.flatMap((_, bit) => (mask & (1 << bit) ? [bit] : []));
    out.push({ key, types, invert });
  };
  side(readU16(data, 0), 'saddr', (flags & XT_ADDRTYPE_INVERT_SOURCE) !== 0);
  side(readU16(data, 2), 'daddr', (flags & XT_ADDRTYPE_INVERT_DEST) !== 0);
  return out;
}

/** A masked rewrite: `(field & keep) ^ value`. */
export interface Rewrite {
  keep: number;
  value: number;
}

/** `-j MARK` revision 2 (`--set-xmark V/M` and its aliases): mark = (mark & ~M) ^ V. */
export function markTargetOf(data: Uint8Array, rev: number): Rewrite {
  checkRevision('-j MARK', rev, 2);
  return { keep: ~readU32(data, 4) >>> 0, value: readU32(data, 0) };
}

/**
 * `-j TOS --set-tos V/M` and `--and/--or/--xor-tos` (revision 1, struct xt_tos_target_info:
 * u8 value, mask): tos = (tos & ~M) ^ V.
 */
export function tosTargetOf(data: Uint8Array, rev: number): Rewrite {
  checkRevision('-j TOS', rev, 1);
  return { keep: ~(data[1] ?? 0) & 0xff, value: data[0] ?? 0 };
}

/** What `-j CT` does that nft says: `notrack`, or `ct [original|reply] zone set Z`. */
export type CtAction = { kind: 'notrack' } | { kind: 'zone'; zone: number; dir?: 0 | 1 };

// enum of xt_CT.h
const XT_CT_NOTRACK = 1;
const XT_CT_NOTRACK_ALIAS = 2;
const XT_CT_ZONE_DIR_ORIG = 4;
const XT_CT_ZONE_DIR_REPL = 8;
const XT_CT_ZONE_MARK = 16;
const KNOWN = XT_CT_NOTRACK | XT_CT_NOTRACK_ALIAS | XT_CT_ZONE_DIR_ORIG | XT_CT_ZONE_DIR_REPL;

/**
 * Why nft's forms of these CT options would not act as xt_CT does: xt_CT attaches them to
 * the connection template of the packet, before conntrack (the raw table, priority -300);
 * nft's `ct helper set`, `ct event set` and `ct timeout set` change the connection conntrack
 * has made (nft_ct.c returns at once without one, or with a template), which a chain at -300
 * runs before: they would do nothing. Refused here, they go to nft_compat: xt_CT itself, in
 * the table named raw (netlink-compat.ts).
 */
const AFTER_CONNTRACK =
  "nft's statement for it acts on the connection conntrack made, after priority -200, and the raw table's chains run at -300 (xt_CT sets it on the connection's template instead)";

/**
 * `-j CT` (struct xt_ct_target_info: u16 flags, zone; u32 ct_events, exp_events; char
 * helper[16]; from revision 1 char timeout[32]) and `-j NOTRACK` (no info): `--notrack`,
 * `--zone`, `--zone-orig`, `--zone-reply`. Every other option is refused by name.
 */
export function ctTargetOf(data: Uint8Array, rev: number, name = 'CT'): CtAction {
  if (name === 'NOTRACK') return { kind: 'notrack' };
  if (rev > 2) throw new UntranslatableError('-j CT', `revision ${rev}`);
  const flags = readU16(data, 0);
  const refuse = (option: string, why: string) => {
    throw new UntranslatableError('-j CT', `${option}: ${why}`);
  };
  // xt_CT's checkentry takes --notrack alone, whatever else the info holds; it tests
  // XT_CT_NOTRACK only: the alias bit without it makes a template like any other.
  if (flags & XT_CT_NOTRACK) return { kind: 'notrack' };
  if (data[12] !== 0) refuse('--helper', AFTER_CONNTRACK);
  if (readU32(data, 4) !== 0) refuse('--ctevents', AFTER_CONNTRACK);
  if (readU32(data, 8) !== 0) refuse('--expevents', 'nft has no statement for expectation events');
  if (rev > 0 && data[28] !== 0) refuse('--timeout', AFTER_CONNTRACK);
  if (flags & XT_CT_ZONE_MARK)
    refuse('--zone-orig/--zone-reply mark', 'nft sets a zone value only');
  if (flags & ~KNOWN) refuse(`flags 0x${flags.toString(16)}`, 'unknown');
  const zone = readU16(data, 2);
  const orig = (flags & XT_CT_ZONE_DIR_ORIG) !== 0;
  const reply = (flags & XT_CT_ZONE_DIR_REPL) !== 0;
  // Both directions, or none named: the zone of both (nft's `ct zone set`).
  return orig === reply ? { kind: 'zone', zone } : { kind: 'zone', zone, dir: orig ? 0 : 1 };
}

/** `-j TPROXY`: where to (0: the packet's own address or port) and the mark on success. */
export interface Tproxy {
  /** The address (host value of its network-order bytes), 0 for none. */
  addr: number;
  /**
   * The port, 0 for the packet's own; undefined when 0 beside an address: nft_tproxy needs a
   * register for one of them (EINVAL without), and reads a port of 0 as the packet's own.
   */
  port?: number;
  mark: Rewrite;
}

/**
 * `-j TPROXY --on-port P [--on-ip A] [--tproxy-mark V/M]` (revision 0, struct
 * xt_tproxy_target_info: u32 mark_mask, mark_value; __be32 laddr; __be16 lport; revision 1,
 * _v1: the address an nf_inet_addr of 16 bytes). On a transparent socket xt_TPROXY marks the
 * packet and accepts it; without one it drops it (nft's `tproxy` ends the rule instead: the
 * writers add a rule that drops).
 */
export function tproxyOf(data: Uint8Array, rev: number): Tproxy {
  if (rev > 1) throw new UntranslatableError('-j TPROXY', `revision ${rev}`);
  const portAt = rev === 0 ? 12 : 24;
  const addr = ((data[8]! << 24) | (data[9]! << 16) | (data[10]! << 8) | data[11]!) >>> 0;
  const port = (data[portAt]! << 8) | data[portAt + 1]!;
  return {
    addr,
    port: port === 0 && addr !== 0 ? undefined : port,
    mark: { keep: ~readU32(data, 0) >>> 0, value: readU32(data, 4) },
  };
}

/**
 * `-j TCPOPTSTRIP --strip-options` (struct xt_tcpoptstrip_target_info: u32 strip_bmap[8], bit
 * N for option kind N): the kinds, lowest first.
 */
export function tcpoptstripOf(data: Uint8Array, rev: number): number[] {
  checkRevision('-j TCPOPTSTRIP', rev, 0);
  const kinds: number[] = [];
  for (let kind = 0; kind < 256; kind++)
    if (readU32(data, (kind >> 5) * 4) & (1 << (kind & 31))) kinds.push(kind);
  return kinds;
}

/** `-j ECN`: the IP header's ECN field and the TCP header's ECE/CWR flags, as rewrites. */
export interface EcnAction {
  /** The ECT codepoint to set (`--ecn-ip-ect`), if any. */
  ect?: number;
  /** The TCP header's flags word (its 16 bits at offset 12) `& keep ^ value`, if any. */
  tcp?: Rewrite;
}

// include/uapi/linux/netfilter_ipv4/ipt_ECN.h
const ECN_OP_SET_IP = 0x01;
const ECN_OP_SET_ECE = 0x10;
const ECN_OP_SET_CWR = 0x20;
/** ECE and CWR in the 16-bit word at the TCP header's offset 12. */
const TCP_ECE = 0x0040;
const TCP_CWR = 0x0080;

/**
 * `-j ECN --ecn-tcp-remove` (and `--ecn-tcp-cwr`, `--ecn-tcp-ece`, `--ecn-ip-ect`; struct
 * ipt_ECN_info: u8 operation, ip_ect; u8 ece:1, cwr:1).
 */
export function ecnOf(data: Uint8Array, rev: number): EcnAction {
  checkRevision('-j ECN', rev, 0);
  const op = data[0] ?? 0;
  if (op & ~(ECN_OP_SET_IP | ECN_OP_SET_ECE | ECN_OP_SET_CWR))
    throw new UntranslatableError('-j ECN', `operation 0x${op.toString(16)}`);
  const action: EcnAction = {};
  if (op & ECN_OP_SET_IP) action.ect = (data[1] ?? 0) & 3;
  const flags = data[2] ?? 0;
  let keep = 0xffff;
  let value = 0;
  if (op & ECN_OP_SET_ECE) {
    keep &= ~TCP_ECE;
    if (flags & 1) value |= TCP_ECE;
  }
  if (op & ECN_OP_SET_CWR) {
    keep &= ~TCP_CWR;
    if (flags & 2) value |= TCP_CWR;
  }
  if (keep !== 0xffff) action.tcp = { keep, value };
  return action;
}
