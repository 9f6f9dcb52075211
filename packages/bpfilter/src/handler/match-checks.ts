/** The checkentry rules of IPv4 matches (each from its `xt_*.c`), for `extension-matches.ts`. */
import {
  type CheckContext,
  type CheckResult,
  cString,
  Errno,
  H,
  optionsAt,
  PROTO,
  plainProto,
  refusal,
  u8,
  u16,
  u32,
  unknownFlags,
} from './extension-spec.js';

/**
 * `xt_multiport`'s check(): a port protocol, a known direction, at most 15 ports, and (as
 * Linux 6.x checks them) well-formed ranges: a port flagged as a range's start is followed by
 * its end, which is not flagged itself and not below the start.
 */
export function checkMultiport(ctx: CheckContext): CheckResult {
  const proto = plainProto(ctx);
  const ports: number[] = [PROTO.TCP, PROTO.UDP, PROTO.UDPLITE, PROTO.SCTP, PROTO.DCCP];
  if (!ports.includes(proto)) return 'multiport needs -p tcp, udp, udplite, sctp or dccp';
  if (u8(ctx.data, 0) > 2) return 'multiport: unknown direction';
  const count = u8(ctx.data, 1);
  if (count > 15) return 'multiport: more than 15 ports';
  const port = (i: number) => u16(ctx.data, 2 + 2 * i);
  const isRangeStart = (i: number) => u8(ctx.data, MULTIPORT_PFLAGS + i) !== 0;
  for (let i = 0; i < count; i++) {
    if (!isRangeStart(i)) continue;
    const end = i + 1;
    if (end >= count) return 'multiport: a range without its end port';
    if (isRangeStart(end)) return 'multiport: a range whose end starts another';
    if (port(i) > port(end)) return 'multiport: a range whose end is below its start';
    i = end;
  }
  return undefined;
}

/** Where `xt_multiport_v1.pflags` starts: after flags, count and 15 u16 ports. */
const MULTIPORT_PFLAGS = 32;

/** A match that names an input side (iface, dir in, src group) is not for OUTPUT/POSTROUTING. */
export function sides(
  what: string,
  input: boolean,
  output: boolean,
  hookMask: number,
): CheckResult {
  if (input && output) return `${what}: both input and output limits`;
  if (output && hookMask & (H.PRE | H.IN)) return `${what}: output side used in PREROUTING/INPUT`;
  if (input && hookMask & (H.POST | H.OUT)) return `${what}: input side used in OUTPUT/POSTROUTING`;
  return undefined;
}

/** `physdev_mt_check`: a known option, and no output device in OUTPUT unless bridged. */
export function checkPhysdev({ data, hookMask }: CheckContext): CheckResult {
  const invert = u8(data, 64);
  const bitmask = u8(data, 65);
  if (!(bitmask & 0x1f) || bitmask & ~0x1f) return 'physdev: no or unknown option';
  const outSide = bitmask & (0x02 | 0x10);
  const bridged = bitmask & 0x04 && !(invert & 0x04);
  if (outSide && !bridged && hookMask & H.OUT)
    return 'physdev: --physdev-out and --physdev-is-out only with --physdev-is-bridged in OUTPUT';
  return undefined;
}

/** `cgroup_mt_check_v1/v2`: path or classid, and the path must exist. */
export function checkCgroup(ctx: CheckContext): CheckResult {
  const { data, revision, env } = ctx;
  if (revision === 0) return unknownFlags('cgroup invert', u32(data, 4), 0x1);
  const hasPath = u8(data, 0);
  const hasClassid = u8(data, 1);
  if (hasPath && hasClassid) return 'cgroup: path and classid specified';
  if (revision === 2 && (u8(data, 2) | u8(data, 3)) & ~1) return 'cgroup: unknown invert flags';
  if (hasPath) {
    const path = cString(data, 4, revision === 1 ? 4096 : 512);
    if (path === undefined || !env.cgroupPathExists(path)) return `cgroup: invalid path`;
  }
  return undefined;
}

/** `xt_recent`'s checkentry: one action, modifiers only with checks, a sane name. */
export function checkRecent({ data }: CheckContext): CheckResult {
  const seconds = u32(data, 0);
  const hitCount = u32(data, 4);
  const checkSet = u8(data, 8);
  if (checkSet & ~0x3f) return 'recent: unknown flags';
  const actions = checkSet & 0x0f;
  if (actions === 0 || actions & (actions - 1)) return 'recent: exactly one action needed';
  if (checkSet & (0x02 | 0x08) && (seconds || hitCount || checkSet & 0x30))
    return 'recent: --set/--remove take no --seconds, --hitcount, --rttl or --reap';
  if (checkSet & 0x20 && !seconds) return 'recent: --reap needs --seconds';
  // XT_RECENT_MAX_NSTAMPS: 65536 (measured on 6.18).
  if (hitCount >= 65536) return 'recent: --hitcount above 65535';
  return procName('recent', cString(data, 10, 200));
}

const sctpOptions = optionsAt('sctp', u32, 284, 288, 0x7);

/**
 * `sctp_mt_check`: at most 4 chunk flags (a count compared unsigned), known options, and with
 * --chunk-types a match kind (any, all or only).
 */
export function checkSctp(ctx: CheckContext): CheckResult {
  const { data } = ctx;
  if (u32(data, 280) > 4) return 'sctp: more than 4 chunk flags';
  const options = sctpOptions(ctx);
  if (options || !(u32(data, 284) & 0x4)) return options;
  // Any of the three bits will do, whatever else is set (measured).
  return u32(data, 264) & 0x7 ? undefined : 'sctp: no chunk match type';
}

/** xt_u32's tests: 11 of them, each of 11 locations and 11 values at most (`XT_U32_MAXSIZE + 1`). */
const U32_MAX = 11;
const U32_TEST_SIZE = 180;
const U32_LEFT_SHIFT = 1;
const U32_RIGHT_SHIFT = 2;

/** `u32_mt_checkentry`: at most 11 tests, locations and values, shifts of at most 31 bits. */
export function checkU32({ data }: CheckContext): CheckResult {
  const tests = u8(data, U32_MAX * U32_TEST_SIZE);
  if (tests > U32_MAX) return 'u32: more than 11 tests';
  for (let test = 0; test < tests; test++) {
    const at = test * U32_TEST_SIZE;
    const locations = u8(data, at + 176);
    if (locations > U32_MAX || u8(data, at + 177) > U32_MAX)
      return 'u32: more than 11 locations or values in a test';
    for (let i = 0; i < locations; i++) {
      const op = u8(data, at + 8 * i + 4);
      if ((op === U32_LEFT_SHIFT || op === U32_RIGHT_SHIFT) && u32(data, at + 8 * i) > 31)
        return 'u32: a shift of more than 31 bits';
    }
  }
  return undefined;
}

/** `xt_string`'s checkentry: offsets in order, a known algorithm, a pattern that fits. */
export function checkString({ data }: CheckContext): CheckResult {
  if (u16(data, 0) > u16(data, 2)) return 'string: --from is after --to';
  // The kernel checks the field's last byte, whatever comes before it.
  if (u8(data, 19) !== 0) return 'string: unterminated algorithm name';
  const algo = cString(data, 4, 16) ?? '';
  if (u8(data, 148) > 128) return 'string: pattern too long';
  const flags = unknownFlags('string', u8(data, 149), 0x3);
  if (flags) return flags;
  if (!['bm', 'kmp', 'fsm'].includes(algo))
    return refusal(Errno.ENOENT, `string: no such algorithm "${algo}"`);
  return undefined;
}

/** `xt_time`'s checkentry: day times within a day (EDOM, as the kernel answers), known flags. */
export function checkTime({ data }: CheckContext): CheckResult {
  const start = u32(data, 8);
  const stop = u32(data, 12);
  if (start > 86399 || stop > 86399) return refusal(Errno.EDOM, 'time: day time out of range');
  if (u8(data, 21) & ~0x3) return 'time: unknown flags';
  if (u8(data, 21) & 0x2 && start < stop) return 'time: --contiguous with start before stop';
  return undefined;
}

/** A procfs entry name, as `recent` and `hashlimit` create one per list (EINVAL otherwise). */
export function procName(what: string, name: string | undefined): CheckResult {
  if (!name || name.includes('/') || name === '.' || name === '..') return `${what}: bad name`;
  return undefined;
}

/**
 * `hashlimit_mt_check_common`: a garbage collector, masks within 32 bits, known mode bits, a
 * rate whose credits do not overflow (ERANGE; a byte rate of no credit is EINVAL), a name.
 */
export function checkHashlimit({ data, revision }: CheckContext): CheckResult {
  // Revision 1 has a 16-byte name and 32-bit rates; 2 and 3 a 255-byte name and 64-bit ones.
  const [nameSize, cfg] = revision === 1 ? [16, 16] : [255, 256];
  const [gc, expire, srcmask] =
    revision === 1
      ? [cfg + 20, cfg + 24, cfg + 28]
      : [cfg + 28, cfg + 32, revision === 3 ? cfg + 40 : cfg + 36];
  if (u32(data, gc) === 0 || u32(data, expire) === 0)
    return 'hashlimit: garbage collection interval or expiry is 0';
  if (u8(data, srcmask) > 32 || u8(data, srcmask + 1) > 32) return 'hashlimit: mask above 32';
  const rate = revision === 1 ? hashlimitRateV1(data) : hashlimitRate(data, revision);
  return rate ?? procName('hashlimit', cString(data, 0, nameSize));
}

/** HASHLIMIT_MAX_SIZE: the kernel truncates larger --hashlimit-htable-size and -max to it. */
const HASHLIMIT_MAX_SIZE = 1_048_576;

/**
 * Revision 3's size and max as the kernel keeps them: its check truncates each to
 * HASHLIMIT_MAX_SIZE in the rule itself (revisions 1 and 2 only in a copy).
 */
export function clampHashlimitSizes(data: Uint8Array, revision: number): void {
  if (revision !== 3 || data.length < 284) return;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (const at of [276, 280])
    if (view.getUint32(at, true) > HASHLIMIT_MAX_SIZE) view.setUint32(at, HASHLIMIT_MAX_SIZE, true);
}

const HASHLIMIT_BYTES = 0x20;
const HASHLIMIT_RATE_MATCH = 0x40;
/** The mode bits: the four hash keys, INVERT, BYTES and RATE_MATCH. */
const HASHLIMIT_MODES = 0x7f;
const U64 = (1n << 64n) - 1n;

/** Revision 1's mode and u32 rate (its `cfg_copy` widens them to u64). */
function hashlimitRateV1(data: Uint8Array): CheckResult {
  return hashlimitRateCheck(u32(data, 16), BigInt(u32(data, 20)), BigInt(u32(data, 24)), 1, 1);
}

/** Revisions 2 and 3: u64 avg and burst, then the mode; revision 3's interval. */
function hashlimitRate(data: Uint8Array, revision: number): CheckResult {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const at = (offset: number) => (offset + 8 <= data.length ? view.getBigUint64(offset, true) : 0n);
  return hashlimitRateCheck(u32(data, 272), at(256), at(264), u32(data, 292), revision);
}

/**
 * The kernel's overflow checks, in its u64 arithmetic, with HZ * CREDITS_PER_JIFFY as for HZ
 * 250 or 1000 (32,000 for revision 1; 2^39 * 250 for the others; 2^24 * 250 for bytes).
 */
function hashlimitRateCheck(
  mode: number,
  avg: bigint,
  burst: bigint,
  interval: number,
  revision: number,
): CheckResult {
  if (mode & ~HASHLIMIT_MODES) return 'hashlimit: unknown mode';
  if (revision >= 3 && mode & HASHLIMIT_RATE_MATCH) {
    if (avg === 0n || avg > 0xffff_ffffn) return refusal(Errno.ERANGE, 'hashlimit: invalid rate');
    if (interval === 0) return 'hashlimit: invalid interval';
  } else if (mode & HASHLIMIT_BYTES) {
    if (((avg * 4_194_304_000n) & U64) >> 32n === 0n) return 'hashlimit: byte rate too high';
  } else {
    // user2credits: revision 1 multiplies by 32000 / 10000, the others by 2^39 * 250 / 10^6.
    const credits = (user: bigint) => (user * (revision === 1 ? 3n : 137_438_953n)) & U64;
    if (burst === 0n || credits((avg * burst) & U64) < credits(avg))
      return refusal(Errno.ERANGE, `hashlimit: rate ${avg} * burst ${burst} overflows`);
  }
  return undefined;
}

/** `xt_rateest_mt_checkentry`: one comparison kind, a rate, a mode, estimators that exist. */
export function checkRateest({ data, env }: CheckContext): CheckResult {
  const flags = u16(data, 32);
  const kind = flags & (0x2 | 0x4);
  if (kind !== 0x2 && kind !== 0x4) return 'rateest: needs exactly one of absolute or relative';
  if (!(flags & (0x10 | 0x20))) return 'rateest: needs bps or pps';
  if (u16(data, 34) < 1 || u16(data, 34) > 3) return 'rateest: unknown mode';
  const names = [cString(data, 0, 16) ?? ''];
  if (flags & 0x4) names.push(cString(data, 16, 16) ?? '');
  const unknown = names.find((name) => !env.rateEstimatorExists(name));
  return unknown === undefined
    ? undefined
    : refusal(Errno.ENOENT, `rateest: no estimator "${unknown}"`);
}

/** `addrtype_mt_checkentry_v1`: `--limit-iface-in/out` on their side of the path only. */
export function checkAddrtype({ data, revision, hookMask }: CheckContext): CheckResult {
  if (revision === 0) return undefined;
  const flags = u32(data, 4);
  return sides('addrtype', (flags & 0x4) !== 0, (flags & 0x8) !== 0, hookMask);
}

/** `policy_mt_check`: a direction, at most 4 elements, each direction on its side. */
export function checkPolicy({ data, hookMask }: CheckContext): CheckResult {
  const flags = u16(data, 304);
  if (!(flags & 0x3)) return 'policy: neither incoming nor outgoing policy selected';
  if (u16(data, 306) > 4) return 'policy: too many policy elements';
  return sides('policy', (flags & 0x1) !== 0, (flags & 0x2) !== 0, hookMask);
}

/** `xt_cluster_mt_checkentry`: at most 32 nodes, a node mask within them. */
export function checkCluster({ data }: CheckContext): CheckResult {
  const total = u32(data, 0);
  if (total > 32) return 'cluster: more than 32 nodes';
  if (total < 32 && u32(data, 4) >= 2 ** total)
    return refusal(Errno.EDOM, 'cluster: node mask above the number of nodes');
  return undefined;
}

/** `devgroup_mt_checkentry`: known flags, each group on its side of the path. */
export function checkDevgroup({ data, hookMask }: CheckContext): CheckResult {
  const flags = u32(data, 0);
  const unknown = unknownFlags('devgroup', flags, 0xf);
  if (unknown) return unknown;
  if (flags & 0x1 && hookMask & (H.OUT | H.POST))
    return 'devgroup: --src-group in OUTPUT/POSTROUTING';
  if (flags & 0x4 && hookMask & (H.PRE | H.IN)) return 'devgroup: --dst-group in PREROUTING/INPUT';
  return undefined;
}

/** `ecn_mt4_check`: known operations; TCP bits only for -p tcp. */
export function checkEcn(ctx: CheckContext): CheckResult {
  const operation = u8(ctx.data, 0);
  if (operation & 0xce || u8(ctx.data, 1) & 0xce) return 'ecn: unknown operation';
  if (operation & 0x30 && plainProto(ctx) !== PROTO.TCP)
    return 'ecn: cannot match TCP bits for non-tcp packets';
  return undefined;
}

/**
 * `user2credits` of xt_limit with HZ * CREDITS_PER_JIFFY = 32000 (HZ 250 or 1000), in the
 * kernel's u32 arithmetic (the divide-first branch wraps too).
 */
function limitCredits(user: number): number {
  const perScale = 32000;
  if (user > Math.floor(0xffffffff / perScale))
    return Math.imul(Math.floor(user / 10000), perScale) >>> 0;
  return Math.floor((user * perScale) / 10000);
}

/** `limit_mt_check`: a burst, and `avg * burst` (u32) whose credits do not overflow (ERANGE). */
export function checkLimit({ data }: CheckContext): CheckResult {
  const avg = u32(data, 0);
  const burst = u32(data, 4);
  if (burst === 0) return refusal(Errno.ERANGE, 'limit: burst is 0');
  if (limitCredits(Math.imul(avg, burst) >>> 0) < limitCredits(avg))
    return refusal(Errno.ERANGE, `limit: ${avg} * burst ${burst} overflows`);
  return undefined;
}

const XT_OWNER_UID = 1;
const XT_OWNER_GID = 2;
/** UID, GID, SOCKET, SUPPL_GROUPS. */
const XT_OWNER_MASK = 0xf;

/**
 * `owner_check`: known flags, and uid and gid ranges of valid ids (-1 is not one), min not
 * above max. (The kernel also refuses a writer outside the namespace's user namespace.)
 */
export function checkOwner({ data }: CheckContext): CheckResult {
  const match = u8(data, 16);
  const flags = unknownFlags('owner', match, XT_OWNER_MASK);
  if (flags) return flags;
  for (const [bit, at, what] of [
    [XT_OWNER_UID, 0, 'uid'],
    [XT_OWNER_GID, 8, 'gid'],
  ] as const) {
    if (!(match & bit)) continue;
    const [min, max] = [u32(data, at), u32(data, at + 4)];
    if (min === 0xffffffff || max === 0xffffffff || max < min)
      return `owner: ${what} range ${min}-${max}`;
  }
  return undefined;
}
