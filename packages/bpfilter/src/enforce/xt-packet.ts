/**
 * The match and target extensions that routers, VPN scripts, ufw and kube-proxy add, read
 * from the kernel's structures (x86-64 layouts, include/uapi/linux/netfilter/xt_*.h and
 * ipt_*.h) into what an nft rule says, for both writers (raw-packet.ts for nft JSON,
 * netlink-packet.ts for netlink). An option whose nftables form would not match the same
 * packets, or act the same, is refused by name here.
 */
import { readU16, readU32 } from '../abi/index.js';
import { checkRevision, UntranslatableError } from './errors.js';

/** A comparison nft writes: `==`, `!=`, `<`, `>`, `>=`. */
export type CompareOp = '==' | '!=' | '<' | '>' | '>=';

/** A value test of `min..max` (one value when equal), inverted or not. */
export interface RangeTest {
  min: number;
  max: number;
  invert: boolean;
}

const XT_LIMIT_SCALE = 10000;
/** nft's limit units, smallest first, in seconds. */
const LIMIT_UNITS: [unit: string, seconds: number][] = [
  ['second', 1],
  ['minute', 60],
  ['hour', 3600],
  ['day', 86400],
  ['week', 604800],
];
/** How far from iptables' rate a per-week rate may be rounded. */
const LIMIT_ROUNDING = 1e-6;

/** `limit rate N/unit burst B packets`. */
export interface LimitTest {
  rate: number;
  unit: string;
  seconds: number;
  burst: number;
}

/**
 * `-m limit` (struct xt_rateinfo: u32 avg, the interval between packets in 1/10000 s; u32
 * burst). The rate is the smallest unit in which it is a whole number of packets, else per
 * week rounded (within 1 in 10^6 of what iptables stored, whose own clock is the jiffy).
 */
export function limitOf(data: Uint8Array, rev: number): LimitTest {
  checkRevision('-m limit', rev, 0);
  const avg = readU32(data, 0);
  const burst = readU32(data, 4);
  if (avg === 0 || burst === 0) throw new UntranslatableError('-m limit', 'a zero rate or burst');
  for (const [unit, seconds] of LIMIT_UNITS) {
    const scaled = XT_LIMIT_SCALE * seconds;
    if (scaled % avg === 0) return { rate: scaled / avg, unit, seconds, burst };
  }
  const [unit, seconds] = LIMIT_UNITS[LIMIT_UNITS.length - 1]!;
  const exact = (XT_LIMIT_SCALE * seconds) / avg;
  const rate = Math.round(exact);
  // iptables writes one a day or more (within 10^-6 per week); a slower rate rounded to a
  // whole number a week would be another rate (1.4 a week enforced as 1).
  if (Math.abs(rate - exact) > exact * LIMIT_ROUNDING)
    throw new UntranslatableError('-m limit', `${exact.toFixed(3)} packets a week`);
  return { rate, unit, seconds, burst };
}

/** `-m statistic`: `meta random OP below` or `numgen inc mod N OP value`. */
export type StatisticTest =
  | { mode: 'random'; op: '<' | '>='; below: number }
  | { mode: 'nth'; op: '==' | '!='; modulus: number; value: number };

const XT_STATISTIC_INVERT = 1;

/**
 * `-m statistic` (struct xt_statistic_info: u16 mode, u16 flags, then u32 probability, or u32
 * every, packet, count). Random: the kernel matches when `(random & 0x7fffffff) <
 * probability`, which is as likely as a 32-bit random number below twice it. Nth: the kernel
 * counts from `count` (iptables stores every - packet) and matches the k-th packet when
 * (count + k) mod (every + 1) is 0; nft's counter gives the k-th packet k - 1.
 */
export function statisticOf(data: Uint8Array, rev: number): StatisticTest | undefined {
  checkRevision('-m statistic', rev, 0);
  const mode = readU16(data, 0);
  const flags = readU16(data, 2);
  if (flags & ~XT_STATISTIC_INVERT) throw new UntranslatableError('-m statistic', 'flags');
  const invert = (flags & XT_STATISTIC_INVERT) !== 0;
  if (mode === 0) {
    const below = readU32(data, 4) * 2;
    if (below >= 2 ** 32) {
      if (invert)
        throw new UntranslatableError('-m statistic', 'a probability that matches nothing');
      return undefined; // probability 1: every packet
    }
    return { mode: 'random', op: invert ? '>=' : '<', below };
  }
  if (mode !== 1) throw new UntranslatableError('-m statistic', `mode ${mode}`);
  const every = readU32(data, 4);
  const count = readU32(data, 12);
  if (count > every || every === 0xffffffff)
    throw new UntranslatableError('-m statistic', 'a counter past --every');
  const modulus = every + 1;
  const value = (((-count - 1) % modulus) + modulus) % modulus;
  return { mode: 'nth', op: invert ? '!=' : '==', modulus, value };
}

/**
 * A `min..max` test of u16 fields at 0 and 2. min above max is refused: xt matches no packet
 * with it (every packet inverted), where nft refuses the range or, by netlink, tests another.
 */
function u16Range(extension: string, data: Uint8Array, invert: boolean): RangeTest {
  const min = readU16(data, 0);
  const max = readU16(data, 2);
  if (min > max) throw new UntranslatableError(extension, `an empty range ${min}:${max}`);
  return { min, max, invert };
}

/** `-m length --length min:max` (struct xt_length_info: u16 min, max; u8 invert): `ip length`. */
export function lengthOf(data: Uint8Array, rev: number): RangeTest {
  checkRevision('-m length', rev, 0);
  return u16Range('-m length', data, (data[4] ?? 0) !== 0);
}

const TTL_OPS: CompareOp[] = ['==', '!=', '<', '>'];

/** `-m ttl --ttl-eq/--ttl-lt/--ttl-gt` (struct ipt_ttl_info: u8 mode, u8 ttl): `ip ttl`. */
export function ttlOf(data: Uint8Array, rev: number): { op: CompareOp; ttl: number } {
  checkRevision('-m ttl', rev, 0);
  const op = TTL_OPS[data[0] ?? 255];
  if (op === undefined) throw new UntranslatableError('-m ttl', `mode ${data[0]}`);
  return { op, ttl: data[1] ?? 0 };
}

/** PACKET_* as nft names them (xt and nft both read a loopback packet's type the same way). */
export const PKTTYPE_NAMES = ['host', 'broadcast', 'multicast', 'other'];

/** `-m pkttype --pkt-type` (struct xt_pkttype_info: int pkttype, int invert): `meta pkttype`. */
export function pkttypeOf(data: Uint8Array, rev: number): { type: number; invert: boolean } {
  checkRevision('-m pkttype', rev, 0);
  const type = readU32(data, 0);
  if (type >= PKTTYPE_NAMES.length) throw new UntranslatableError('-m pkttype', `type ${type}`);
  return { type, invert: readU32(data, 4) !== 0 };
}

/**
 * `-m mac --mac-source` (struct xt_mac_info: u8 srcaddr[6], int invert): `ether saddr`, which
 * nft tests only on Ethernet input, as xt_mac does (inverted too).
 */
export function macOf(data: Uint8Array, rev: number): { address: Uint8Array; invert: boolean } {
  checkRevision('-m mac', rev, 0);
  return { address: data.subarray(0, 6), invert: readU32(data, 8) !== 0 };
}

/** The TOS byte masked: `(tos & mask) OP value`. */
export interface TosTest {
  mask: number;
  value: number;
  invert: boolean;
}

/**
 * `-m tos --tos V/M` (revision 1, struct xt_tos_match_info: u8 mask, value, invert). A value
 * with bits outside the mask is refused: the kernel never matches it (always, inverted).
 */
export function tosOf(data: Uint8Array, rev: number): TosTest {
  checkRevision('-m tos', rev, 1);
  const mask = data[0] ?? 0;
  const value = data[1] ?? 0;
  // xt_tos compares the masked byte with the value as stored: bits outside the mask never match.
  if (value & ~mask) throw new UntranslatableError('-m tos', 'a value outside its mask');
  return { mask, value, invert: (data[2] ?? 0) !== 0 };
}

/** `-m dscp --dscp` (struct xt_dscp_info: u8 dscp, u8 invert): `ip dscp`. */
export function dscpOf(data: Uint8Array, rev: number): { dscp: number; invert: boolean } {
  checkRevision('-m dscp', rev, 0);
  const dscp = data[0] ?? 0;
  if (dscp > 0x3f) throw new UntranslatableError('-m dscp', `dscp ${dscp}`);
  return { dscp, invert: (data[1] ?? 0) !== 0 };
}

/**
 * `-m tcpmss --mss` (struct xt_tcpmss_match_info: u16 min, max; u8 invert): `tcp option
 * maxseg size`. Inverted it is refused: xt_tcpmss matches a segment without the option when
 * inverted, where nft's option load never matches one.
 */
export function tcpmssOf(data: Uint8Array, rev: number): RangeTest {
  checkRevision('-m tcpmss', rev, 0);
  if ((data[4] ?? 0) !== 0)
    throw new UntranslatableError('-m tcpmss', '! --mss (a segment without the option)');
  return u16Range('-m tcpmss', data, false);
}

const XT_OWNER_UID = 1;
const XT_OWNER_GID = 2;

/**
 * `-m owner --uid-owner/--gid-owner` (revision 1, struct xt_owner_match_info: u32 uid min,
 * max, gid min, max; u8 match, invert): `meta skuid`/`skgid`. Inverted it is refused: a
 * packet without a socket matches `! --uid-owner` in xt_owner, never in nft; and so are
 * `--socket-exists` and `--suppl-groups`.
 */
export function ownerOf(data: Uint8Array, rev: number): { uid?: RangeTest; gid?: RangeTest } {
  checkRevision('-m owner', rev, 1);
  const match = data[16] ?? 0;
  if ((data[17] ?? 0) !== 0)
    throw new UntranslatableError('-m owner', 'an inverted owner (packets without a socket)');
  if (match & ~(XT_OWNER_UID | XT_OWNER_GID))
    throw new UntranslatableError('-m owner', '--socket-exists or --suppl-groups');
  const range = (at: number): RangeTest => {
    const [min, max] = [readU32(data, at), readU32(data, at + 4)];
    // The handler refuses it as owner_check does; this is read before the handler checked.
    if (min > max) throw new UntranslatableError('-m owner', `an empty range ${min}:${max}`);
    return { min, max, invert: false };
  };
  return {
    ...(match & XT_OWNER_UID ? { uid: range(0) } : {}),
    ...(match & XT_OWNER_GID ? { gid: range(8) } : {}),
  };
}

/** `-m connmark --mark V/M` (revision 1: u32 mark, mask; u8 invert): `ct mark & M == V`. */
export function connmarkOf(data: Uint8Array, rev: number): TosTest {
  checkRevision('-m connmark', rev, 1);
  return { value: readU32(data, 0), mask: readU32(data, 4), invert: (data[8] ?? 0) !== 0 };
}

// The targets' readers live in xt-packet-targets.ts; both writers import them from here.
export {
  type ConnmarkAction,
  classifyOf,
  connmarkTargetOf,
  dscpTargetOf,
  type NflogAction,
  nflogOf,
  tcpmssTargetOf,
  ttlTargetOf,
} from './xt-packet-targets.js';
