/**
 * Matches that reach the handler as raw extension bytes, compiled by name and revision from
 * the kernel's structures (x86-64 layouts; addresses in `nf_inet_addr` are network order,
 * marks and masks host order). `undefined`: bpfilter does not evaluate this one, or these
 * options of it: the classification stops there with CANNOT_EVALUATE.
 */
import { MATCH, type MatchFn, NO_MATCH } from './match-result.js';
import type { Packet } from './packet.js';

type Compiler = (data: Uint8Array, revision: number) => MatchFn | undefined;

const view = (data: Uint8Array) => new DataView(data.buffer, data.byteOffset, data.byteLength);
const result = (hit: boolean): number => (hit ? MATCH : NO_MATCH);

/** A packet's state bits (xt_state's) without bpfilter's SNAT/DNAT ones. */
const CT_STATE_BASE = 0x7f;
const CT_INVALID = 0x01;
const CT_UNTRACKED = 0x40;

/**
 * A packet's state as xt_conntrack numbers it: the same first four bits as xt_state, then
 * SNAT 1 << 6, DNAT 1 << 7 (only with a conntrack entry) and UNTRACKED 1 << 8.
 */
function conntrackStateBits(ctState: number, noEntry: boolean): number {
  let bits = ctState & 0x0f;
  if (ctState & CT_UNTRACKED) bits |= 1 << 8;
  if (!noEntry && ctState & 0x80) bits |= 1 << 6;
  if (!noEntry && ctState & 0x100) bits |= 1 << 7;
  return bits;
}

/** `XT_CONNTRACK_*` match flags bpfilter evaluates: STATE, STATUS, STATE_ALIAS. */
const CONNTRACK_STATE = 1 << 0;
const CONNTRACK_STATUS = 1 << 6;
const CONNTRACK_STATE_ALIAS = 1 << 13;

/** `struct xt_multiport_v1`: flags, count, ports[15], pflags[15], invert. */
function multiport(data: Uint8Array, revision: number): MatchFn | undefined {
  if (revision !== 1 || data.length < 48) return undefined;
  const v = view(data);
  const flags = data[0]!;
  const count = Math.min(data[1]!, 15);
  const invert = data[47] !== 0;
  const ranges: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const low = v.getUint16(2 + 2 * i, true);
    if (data[32 + i] !== 0 && i + 1 < count) {
      ranges.push([low, v.getUint16(2 + 2 * (i + 1), true)]);
      i++;
    } else ranges.push([low, low]);
  }
  if (flags > 2) return undefined;
  const hit = (port: number) => ranges.some(([low, high]) => port >= low && port <= high);
  return (p) => {
    if (p.fragment) return NO_MATCH; // no ports in a non-first fragment
    const found =
      flags === 0
        ? hit(p.sourcePort)
        : flags === 1
          ? hit(p.destinationPort)
          : hit(p.sourcePort) || hit(p.destinationPort);
    return result(found !== invert);
  };
}

/** `struct xt_state_info`: statemask. */
function state(data: Uint8Array): MatchFn | undefined {
  if (data.length < 4) return undefined;
  const mask = view(data).getUint32(0, true);
  return (p) => result((mask & (p.ctState & CT_STATE_BASE)) !== 0);
}

/**
 * `struct xt_conntrack_mtinfo1/2/3`: eight addresses and masks (128 bytes), expires, l4proto,
 * four ports, then match_flags and invert_flags at 146, state_mask and status_mask (u8 in
 * revision 1, u16 in 2 and 3) at 150. Only --ctstate and --ctstatus are evaluated.
 */
function conntrack(data: Uint8Array, revision: number): MatchFn | undefined {
  if (revision < 1 || revision > 3 || data.length < (revision === 1 ? 152 : 154)) return undefined;
  const v = view(data);
  const flags = v.getUint16(146, true);
  const invert = v.getUint16(148, true);
  if ((flags & ~(CONNTRACK_STATE | CONNTRACK_STATUS | CONNTRACK_STATE_ALIAS)) !== 0)
    return undefined;
  const stateMask = revision === 1 ? data[150]! : v.getUint16(150, true);
  const statusMask = revision === 1 ? data[151]! : v.getUint16(152, true);
  const checkState = (flags & CONNTRACK_STATE) !== 0;
  const invertState = (invert & CONNTRACK_STATE) !== 0;
  const checkStatus = (flags & CONNTRACK_STATUS) !== 0;
  const invertStatus = (invert & CONNTRACK_STATUS) !== 0;
  return (p) => {
    // As conntrack_mt: no conntrack entry (INVALID, UNTRACKED) has no NAT bits and no status.
    const noEntry = (p.ctState & (CT_INVALID | CT_UNTRACKED)) !== 0;
    const statebit = conntrackStateBits(p.ctState, noEntry);
    if (checkState && ((stateMask & statebit) !== 0) === invertState) return NO_MATCH;
    if (noEntry) return result(checkState);
    if (checkStatus && ((statusMask & p.ctStatus) !== 0) === invertStatus) return NO_MATCH;
    return MATCH;
  };
}

/** `XT_ADDRTYPE_*` bits are `1 << RTN_*`. */
const RTN_UNICAST = 1 << 1;
const RTN_LOCAL = 1 << 2;
const RTN_BROADCAST = 1 << 3;
const RTN_MULTICAST = 1 << 5;

/** inet_addr_type as far as a packet description can tell it. */
function addressType(address: number, local: ReadonlySet<number>): number {
  if (address >>> 24 === 0 || address === 0xffffffff) return RTN_BROADCAST; // zeronet, limited broadcast
  if (address >>> 28 === 0xe) return RTN_MULTICAST;
  if (address >>> 24 === 127 || local.has(address)) return RTN_LOCAL;
  return RTN_UNICAST;
}

/** `struct xt_addrtype_info` (rev 0: source, dest, invert_source, invert_dest) or `_v1` (source, dest, flags). */
function addrtype(data: Uint8Array, revision: number): MatchFn | undefined {
  const v = view(data);
  let invertSource: boolean;
  let invertDest: boolean;
  if (revision === 0 && data.length >= 12) {
    invertSource = v.getUint32(4, true) !== 0;
    invertDest = v.getUint32(8, true) !== 0;
  } else if (revision === 1 && data.length >= 8) {
    const flags = v.getUint32(4, true);
    if (flags & 0xc) return undefined; // --limit-iface-in/out: the routing of one interface
    invertSource = (flags & 1) !== 0;
    invertDest = (flags & 2) !== 0;
  } else return undefined;
  const source = v.getUint16(0, true);
  const dest = v.getUint16(2, true);
  const test = (mask: number, address: number, p: Packet, inverted: boolean) =>
    mask === 0 || ((mask & addressType(address, p.local)) !== 0) !== inverted;
  return (p) =>
    result(test(source, p.source, p, invertSource) && test(dest, p.destination, p, invertDest));
}

/** `struct xt_mark_mtinfo1` (mark, mask, invert) on the packet's mark or its connection's. */
function markMatch(of: 'mark' | 'connmark'): Compiler {
  return (data, revision) => {
    if (revision !== 1 || data.length < 9) return undefined;
    const v = view(data);
    const mark = v.getUint32(0, true);
    const mask = v.getUint32(4, true);
    const invert = data[8] !== 0;
    if (of === 'mark') return (p) => result(((p.mark & mask) >>> 0 === mark) !== invert);
    return (p) => {
      if ((p.ctState & (CT_INVALID | CT_UNTRACKED)) !== 0) return NO_MATCH; // no connection
      return result(((p.connmark & mask) >>> 0 === mark) !== invert);
    };
  };
}

/** `struct xt_iprange_mtinfo`: src_min, src_max, dst_min, dst_max (nf_inet_addr), flags. */
function iprange(data: Uint8Array, revision: number): MatchFn | undefined {
  if (revision !== 1 || data.length < 65) return undefined;
  const v = view(data);
  const flags = data[64]!;
  const [srcMin, srcMax, dstMin, dstMax] = [0, 16, 32, 48].map((at) => v.getUint32(at, false));
  const inside = (a: number, min: number, max: number) => a >= min! && a <= max!;
  return (p) => {
    if (flags & 1 && inside(p.source, srcMin!, srcMax!) === ((flags & 0x10) !== 0)) return NO_MATCH;
    if (flags & 2 && inside(p.destination, dstMin!, dstMax!) === ((flags & 0x20) !== 0))
      return NO_MATCH;
    return MATCH;
  };
}

/** `XT_LIMIT_SCALE`: `avg` is seconds per packet times this. */
const LIMIT_SCALE = 10_000;

/**
 * `struct xt_rateinfo`: avg, burst (then kernel-private state). A token bucket per rule:
 * `burst` tokens, one more every avg/10000 s of the packets' `time`, full at the start
 * (the kernel starts full too, and a table replace starts every rule afresh).
 */
function limit(data: Uint8Array, revision: number): MatchFn | undefined {
  if (revision !== 0 || data.length < 8) return undefined;
  const v = view(data);
  const avg = v.getUint32(0, true);
  const burst = v.getUint32(4, true);
  if (avg === 0 || burst === 0) return undefined;
  const msPerToken = (avg / LIMIT_SCALE) * 1000;
  let tokens = burst;
  let last = Number.NaN;
  return (p) => {
    if (!Number.isNaN(last) && p.time > last)
      tokens = Math.min(burst, tokens + (p.time - last) / msPerToken);
    if (Number.isNaN(last) || p.time > last) last = p.time;
    if (tokens < 1) return NO_MATCH;
    tokens -= 1;
    return MATCH;
  };
}

const COMPILERS: ReadonlyMap<string, Compiler> = new Map<string, Compiler>([
  // xt_comment: only text for the reader.
  ['comment', () => () => MATCH],
  ['multiport', multiport],
  ['state', state],
  ['conntrack', conntrack],
  ['addrtype', addrtype],
  ['mark', markMatch('mark')],
  ['connmark', markMatch('connmark')],
  ['iprange', iprange],
  ['limit', limit],
]);

/** The compiled match, or `undefined` when bpfilter cannot evaluate it. */
export function compileExtensionMatch(
  name: string,
  revision: number,
  data: Uint8Array,
): MatchFn | undefined {
  return COMPILERS.get(name)?.(data, revision);
}

/** Names of the matches bpfilter evaluates from raw bytes (tcp, udp and icmp aside). */
export const EVALUATED_MATCHES: readonly string[] = [...COMPILERS.keys()];
