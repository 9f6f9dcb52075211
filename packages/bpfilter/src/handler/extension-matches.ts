/**
 * IPv4 matches as the kernel registers them (Linux 6.18): revisions measured with
 * GET_REVISION_MATCH, data sizes from the uapi structs, table/hook/protocol restrictions and
 * checkentry rules from each `xt_*.c`, each checked against a kernel in a network namespace
 * (test/iptables-validation.test.ts).
 */
import { XT_TCP_INV_MASK, XT_UDP_INV_MASK, IPT_ICMP_INV } from '../abi/index.js';
import {
  Errno,
  H,
  PROTO,
  cString,
  plainProto,
  refusal,
  u16,
  u32,
  u8,
  unknownFlags,
  type CheckContext,
  type CheckResult,
  type ExtensionSpec,
} from './extension-spec.js';

const invflags = (what: string, offset: number, mask: number) => (ctx: CheckContext) =>
  unknownFlags(`${what} invflags`, u8(ctx.data, offset), mask);

/** `xt_multiport`'s check(): a port protocol, a known direction, at most 15 ports. */
function checkMultiport(ctx: CheckContext): CheckResult {
  const proto = plainProto(ctx);
  const ports: number[] = [PROTO.TCP, PROTO.UDP, PROTO.UDPLITE, PROTO.SCTP, PROTO.DCCP];
  if (!ports.includes(proto)) return 'multiport needs -p tcp, udp, udplite, sctp or dccp';
  if (u8(ctx.data, 0) > 2) return 'multiport: unknown direction';
  if (u8(ctx.data, 1) > 15) return 'multiport: more than 15 ports';
  return undefined;
}

/** A match that names an input side (iface, dir in, src group) is not for OUTPUT/POSTROUTING. */
function sides(what: string, input: boolean, output: boolean, hookMask: number): CheckResult {
  if (input && output) return `${what}: both input and output limits`;
  if (output && hookMask & (H.PRE | H.IN)) return `${what}: output side used in PREROUTING/INPUT`;
  if (input && hookMask & (H.POST | H.OUT)) return `${what}: input side used in OUTPUT/POSTROUTING`;
  return undefined;
}

/** `physdev_mt_check`: a known option, and no output device in OUTPUT unless bridged. */
function checkPhysdev({ data, hookMask }: CheckContext): CheckResult {
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
function checkCgroup(ctx: CheckContext): CheckResult {
  const { data, revision, env } = ctx;
  if (revision === 0) return unknownFlags('cgroup invert', u32(data, 4), 0x1);
  const hasPath = u8(data, 0);
  const hasClassid = u8(data, 1);
  if (hasPath && hasClassid) return 'cgroup: path and classid specified';
  if (hasPath) {
    const path = cString(data, 4, revision === 1 ? 4096 : 512);
    if (path === undefined || !env.cgroupPathExists(path)) return `cgroup: invalid path`;
  }
  return undefined;
}

/** `xt_recent`'s checkentry: one action, modifiers only with checks, a sane name. */
function checkRecent({ data }: CheckContext): CheckResult {
  const seconds = u32(data, 0);
  const hitCount = u32(data, 4);
  const checkSet = u8(data, 8);
  if (checkSet & ~0x3f) return 'recent: unknown flags';
  const actions = checkSet & 0x0f;
  if (actions === 0 || actions & (actions - 1)) return 'recent: exactly one action needed';
  if (checkSet & (0x02 | 0x08) && (seconds || hitCount || checkSet & 0x30))
    return 'recent: --set/--remove take no --seconds, --hitcount, --rttl or --reap';
  if (checkSet & 0x20 && !seconds) return 'recent: --reap needs --seconds';
  return procName('recent', cString(data, 10, 200));
}

/** `xt_string`'s checkentry: offsets in order, a known algorithm, a pattern that fits. */
function checkString({ data }: CheckContext): CheckResult {
  if (u16(data, 0) > u16(data, 2)) return 'string: --from is after --to';
  const algo = cString(data, 4, 16);
  if (algo === undefined) return 'string: unterminated algorithm name';
  if (u8(data, 148) > 128) return 'string: pattern too long';
  const flags = unknownFlags('string', u8(data, 149), 0x3);
  if (flags) return flags;
  if (!['bm', 'kmp', 'fsm'].includes(algo))
    return refusal(Errno.ENOENT, `string: no such algorithm "${algo}"`);
  return undefined;
}

/** `xt_time`'s checkentry: day times within a day, known flags (EDOM as the kernel answers). */
function checkTime({ data }: CheckContext): CheckResult {
  const start = u32(data, 8);
  const stop = u32(data, 12);
  if (start > 86399 || stop > 86399) return refusal(Errno.EDOM, 'time: day time out of range');
  if (u8(data, 21) & ~0x3) return refusal(Errno.EDOM, 'time: unknown flags');
  if (u8(data, 21) & 0x2 && start < stop) return 'time: --contiguous with start before stop';
  return undefined;
}

/** A procfs entry name, as `recent` and `hashlimit` create one per list (EINVAL otherwise). */
function procName(what: string, name: string | undefined): CheckResult {
  if (!name || name.includes('/') || name === '.' || name === '..') return `${what}: bad name`;
  return undefined;
}

/** `hashlimit_mt_check_common`: a name, a garbage collector, masks within 32 bits. */
function checkHashlimit({ data, revision }: CheckContext): CheckResult {
  // Revision 1 has a 16-byte name and 32-bit rates; 2 and 3 a 255-byte name and 64-bit ones.
  const [nameSize, cfg] = revision === 1 ? [16, 16] : [255, 256];
  const [gc, expire, srcmask] =
    revision === 1
      ? [cfg + 20, cfg + 24, cfg + 28]
      : [cfg + 28, cfg + 32, revision === 3 ? cfg + 40 : cfg + 36];
  if (u32(data, gc) === 0 || u32(data, expire) === 0)
    return 'hashlimit: garbage collection interval or expiry is 0';
  if (u8(data, srcmask) > 32 || u8(data, srcmask + 1) > 32) return 'hashlimit: mask above 32';
  return procName('hashlimit', cString(data, 0, nameSize));
}

/** `xt_rateest_mt_checkentry`: one comparison kind, a rate, a mode, estimators that exist. */
function checkRateest({ data, env }: CheckContext): CheckResult {
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

const noSets = (ctx: CheckContext): CheckResult =>
  refusal(Errno.ENOENT, `set: no set with index ${u16(ctx.data, 0)} (bpfilter keeps no ipsets)`);

/** IPv4 matches: name -> spec. */
export const MATCHES: ReadonlyMap<string, ExtensionSpec> = new Map<string, ExtensionSpec>([
  ['tcp', { sizes: { 0: 12 }, proto: PROTO.TCP, check: invflags('tcp', 11, XT_TCP_INV_MASK) }],
  ['udp', { sizes: { 0: 10 }, proto: PROTO.UDP, check: invflags('udp', 8, XT_UDP_INV_MASK) }],
  ['icmp', { sizes: { 0: 4 }, proto: PROTO.ICMP, check: invflags('icmp', 3, IPT_ICMP_INV) }],
  [
    'udplite',
    { sizes: { 0: 10 }, proto: PROTO.UDPLITE, check: invflags('udplite', 8, XT_UDP_INV_MASK) },
  ],
  [
    'limit',
    {
      sizes: { 0: 40 },
      check: ({ data }) =>
        u32(data, 4) === 0 ? refusal(Errno.ERANGE, 'limit: burst is 0') : undefined,
    },
  ],
  ['comment', { sizes: { 0: 256 } }],
  ['conntrack', { sizes: { 1: 152, 2: 156, 3: 164 } }],
  ['state', { sizes: { 0: 4 } }],
  ['multiport', { sizes: { 1: 48 }, check: checkMultiport }],
  ['mark', { sizes: { 1: 12 } }],
  ['mac', { sizes: { 0: 12 }, hooks: H.PRE | H.IN | H.FWD }],
  ['iprange', { sizes: { 1: 68 } }],
  [
    'addrtype',
    {
      sizes: { 0: 12, 1: 8 },
      check: ({ data, revision, hookMask }) => {
        if (revision === 0) return undefined;
        const flags = u32(data, 4);
        return sides('addrtype', (flags & 0x4) !== 0, (flags & 0x8) !== 0, hookMask);
      },
    },
  ],
  ['owner', { sizes: { 1: 20 }, hooks: H.OUT | H.POST }],
  ['physdev', { sizes: { 0: 66 }, check: checkPhysdev }],
  ['pkttype', { sizes: { 0: 8 } }],
  ['length', { sizes: { 0: 6 } }],
  ['ttl', { sizes: { 0: 2 } }],
  ['hashlimit', { sizes: { 1: 56, 2: 304, 3: 312 }, check: checkHashlimit }],
  ['recent', { sizes: { 0: 212, 1: 228 }, check: checkRecent }],
  ['connlimit', { sizes: { 1: 32 } }],
  ['connmark', { sizes: { 1: 12 } }],
  ['tos', { sizes: { 1: 3 } }],
  [
    'dscp',
    {
      sizes: { 0: 2 },
      check: ({ data }) =>
        u8(data, 0) > 0x3f ? refusal(Errno.EDOM, 'dscp: value above 63') : undefined,
    },
  ],
  ['string', { sizes: { 1: 160 }, check: checkString }],
  ['u32', { sizes: { 0: 1984 } }],
  ['time', { sizes: { 0: 24 }, check: checkTime }],
  ['set', { sizes: { 0: 32, 1: 4, 2: 4, 3: 48, 4: 48 }, check: noSets }],
  [
    'policy',
    {
      sizes: { 0: 308 },
      check: ({ data, hookMask }) => {
        const flags = u16(data, 304);
        if (!(flags & 0x3)) return 'policy: neither incoming nor outgoing policy selected';
        if (u16(data, 306) > 4) return 'policy: too many policy elements';
        return sides('policy', (flags & 0x1) !== 0, (flags & 0x2) !== 0, hookMask);
      },
    },
  ],
  ['esp', { sizes: { 0: 12 }, proto: PROTO.ESP, check: invflags('esp', 8, 0x1) }],
  ['ah', { sizes: { 0: 12 }, proto: PROTO.AH, check: invflags('ah', 8, 0x1) }],
  [
    'socket',
    {
      sizes: { 0: 0, 1: 1, 2: 1, 3: 1 },
      hooks: H.PRE | H.IN,
      check: ({ data, revision }) =>
        revision === 0 ? undefined : unknownFlags('socket', u8(data, 0), [0, 1, 3, 7][revision]!),
    },
  ],
  ['helper', { sizes: { 0: 36 } }],
  ['bpf', { sizes: { 0: 528, 1: 528 } }],
  [
    'cgroup',
    { sizes: { 0: 8, 1: 4112, 2: 528 }, hooks: H.IN | H.OUT | H.POST, check: checkCgroup },
  ],
  [
    'cluster',
    {
      sizes: { 0: 16 },
      check: ({ data }) => {
        const total = u32(data, 0);
        if (total > 32) return 'cluster: more than 32 nodes';
        if (total < 32 && u32(data, 4) >= 2 ** total)
          return refusal(Errno.EDOM, 'cluster: node mask above the number of nodes');
        return undefined;
      },
    },
  ],
  [
    'connbytes',
    {
      sizes: { 0: 24 },
      check: ({ data }) =>
        u8(data, 16) > 2 || u8(data, 17) > 2 ? 'connbytes: bad mode or direction' : undefined,
    },
  ],
  [
    'connlabel',
    {
      sizes: { 0: 4 },
      check: ({ data }) =>
        unknownFlags('connlabel', u16(data, 2), 0x3) ??
        (u16(data, 0) >= 128 ? refusal(Errno.ERANGE, 'connlabel: label bit above 127') : undefined),
    },
  ],
  ['cpu', { sizes: { 0: 8 }, check: ({ data }) => unknownFlags('cpu', u32(data, 4), 0x1) }],
  [
    'dccp',
    {
      sizes: { 0: 16 },
      proto: PROTO.DCCP,
      check: ({ data }) => {
        const flags = u16(data, 8);
        const inv = u16(data, 10);
        return (
          unknownFlags('dccp', flags, 0x0f) ??
          unknownFlags('dccp invflags', inv, 0x0f) ??
          (inv & ~flags ? 'dccp: inverted option not given' : undefined)
        );
      },
    },
  ],
  [
    'devgroup',
    {
      sizes: { 0: 20 },
      check: ({ data, hookMask }) => {
        const flags = u32(data, 0);
        const unknown = unknownFlags('devgroup', flags, 0xf);
        if (unknown) return unknown;
        if (flags & 0x1 && hookMask & (H.OUT | H.POST))
          return 'devgroup: --src-group in OUTPUT/POSTROUTING';
        if (flags & 0x4 && hookMask & (H.PRE | H.IN))
          return 'devgroup: --dst-group in PREROUTING/INPUT';
        return undefined;
      },
    },
  ],
  [
    'ecn',
    {
      sizes: { 0: 4 },
      check: (ctx) => {
        const operation = u8(ctx.data, 0);
        if (operation & 0xce || u8(ctx.data, 1) & 0xce) return 'ecn: unknown operation';
        if (operation & 0x30 && plainProto(ctx) !== PROTO.TCP)
          return 'ecn: cannot match TCP bits for non-tcp packets';
        return undefined;
      },
    },
  ],
  ['ipcomp', { sizes: { 0: 12 }, proto: PROTO.IPCOMP, check: invflags('ipcomp', 8, 0x3) }],
  [
    'nfacct',
    {
      sizes: { 0: 40, 1: 40 },
      check: () => refusal(Errno.ENOENT, 'nfacct: bpfilter keeps no accounting objects'),
    },
  ],
  ['osf', { sizes: { 0: 48 }, proto: PROTO.TCP, hooks: H.PRE | H.IN | H.FWD }],
  ['quota', { sizes: { 0: 24 }, check: ({ data }) => unknownFlags('quota', u32(data, 0), 0x1) }],
  ['rateest', { sizes: { 0: 72 }, check: checkRateest }],
  ['realm', { sizes: { 0: 12 }, hooks: H.POST | H.FWD | H.OUT | H.IN }],
  [
    'rpfilter',
    {
      sizes: { 0: 1 },
      hooks: H.PRE,
      check: ({ data, table }) =>
        unknownFlags('rpfilter', u8(data, 0), 0xf) ??
        (table === 'raw' || table === 'mangle' ? undefined : 'rpfilter: only in raw or mangle'),
    },
  ],
  [
    'sctp',
    {
      sizes: { 0: 292 },
      proto: PROTO.SCTP,
      check: ({ data }) => {
        const flags = u32(data, 284);
        const inv = u32(data, 288);
        return (
          unknownFlags('sctp', flags, 0x7) ??
          unknownFlags('sctp invflags', inv, 0x7) ??
          (inv & ~flags ? 'sctp: inverted option not given' : undefined)
        );
      },
    },
  ],
  [
    'statistic',
    {
      sizes: { 0: 24 },
      check: ({ data }) =>
        u16(data, 0) > 1 ? 'statistic: unknown mode' : unknownFlags('statistic', u16(data, 2), 1),
    },
  ],
  ['tcpmss', { sizes: { 0: 6 }, proto: PROTO.TCP }],
]);
