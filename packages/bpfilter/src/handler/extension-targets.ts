/**
 * IPv4 targets as the kernel registers them (Linux 6.18): revisions measured with
 * GET_REVISION_TARGET, data sizes from the uapi structs, table/hook/protocol restrictions
 * and checkentry rules from each `xt_*.c`, each checked against a kernel in a network
 * namespace (test/iptables-validation.test.ts).
 */
import {
  IPT_ICMP_ECHOREPLY,
  IPT_LOG_PREFIX_SIZE,
  IPT_TCP_RESET,
  IPT_INV_PROTO,
  decodeRejectInfo,
  hasNul,
} from '../abi/index.js';
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

/** `NF_NAT_RANGE_MAP_IPS`: the range names addresses. */
const NAT_MAP_IPS = 1;
/** `IPSET_INVALID_ID`: no set. */
const IPSET_INVALID_ID = 0xffff;
/** `XT_TCPMSS_CLAMP_PMTU`. */
const TCPMSS_CLAMP_PMTU = 0xffff;
/** TCP SYN in `xt_tcp.flg_cmp`, and `XT_TCP_INV_FLAGS`. */
const TCP_SYN = 0x02;
const XT_TCP_INV_FLAGS = 0x04;

/** Conntrack helpers a kernel with every helper module offers, by L4 protocol (measured). */
const CT_HELPERS: Readonly<Record<number, readonly string[]>> = {
  [PROTO.TCP]: ['ftp', 'irc', 'sip', 'Q.931', 'pptp', 'sane'],
  [PROTO.UDP]: ['sip', 'RAS', 'amanda', 'netbios-ns', 'snmp', 'snmp_trap', 'tftp'],
};

/** `nf_nat_ipv4_multi_range_compat` (rangesize, then flags of range[0]). */
function natCompat({ mapIps }: { mapIps: 'required' | 'refused' | 'either' }) {
  return ({ data }: CheckContext): CheckResult => {
    const flags = u32(data, 4);
    if (mapIps === 'refused' && flags & NAT_MAP_IPS) return 'bad MAP_IPS';
    if (mapIps === 'required' && !(flags & NAT_MAP_IPS)) return 'bad MAP_IPS';
    if (u32(data, 0) !== 1) return `multiple ranges (rangesize ${u32(data, 0)}) not supported`;
    return undefined;
  };
}

/** SNAT/DNAT: revision 0 carries the compat range; 1 and 2 have no check of their own. */
const natRevisionCheck = (ctx: CheckContext): CheckResult =>
  ctx.revision === 0 ? natCompat({ mapIps: 'either' })(ctx) : undefined;

/** `xt_ct_tg_check`: flags, then the helper (needs an L4 protocol), then the timeout policy. */
function checkCt(ctx: CheckContext): CheckResult {
  const { data, revision } = ctx;
  const flags = u16(data, 0);
  const unknown = unknownFlags('CT', flags, revision === 2 ? 0x3 : 0x1);
  if (unknown) return unknown;
  if (flags & 0x1) return undefined; // --notrack: nothing else is looked at
  const helper = cString(data, 12, 16) ?? '';
  if (helper !== '') {
    const proto = plainProto(ctx);
    if (!proto)
      return refusal(Errno.ENOENT, 'CT: a helper needs an L4 protocol (-p), not inverted');
    if (!CT_HELPERS[proto]?.includes(helper))
      return refusal(Errno.ENOENT, `CT: no such helper "${helper}" for protocol ${proto}`);
  }
  const timeout = revision > 0 ? (cString(data, 28, 32) ?? '') : '';
  if (timeout !== '') {
    if (!plainProto(ctx)) return 'CT: a timeout policy needs an L4 protocol (-p), not inverted';
    return refusal(Errno.ENOENT, `CT: no such timeout policy "${timeout}"`);
  }
  return undefined;
}

/** `tcpmss_tg4_check`: PMTU clamping only late in the path; a SYN match is required. */
function checkTcpmss({ data, hookMask, matches }: CheckContext): CheckResult {
  if (u16(data, 0) === TCPMSS_CLAMP_PMTU && hookMask & ~(H.FWD | H.OUT | H.POST))
    return 'TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks';
  const syn = matches.some(
    (m) => m.name === 'tcp' && u8(m.data, 10) & TCP_SYN && !(u8(m.data, 11) & XT_TCP_INV_FLAGS),
  );
  return syn ? undefined : 'TCPMSS: only works on TCP SYN packets (needs --syn or --tcp-flags)';
}

/** `set_target_v*_checkentry`: every set named must exist, and bpfilter keeps no ipsets. */
function checkSetTarget({ data, revision }: CheckContext): CheckResult {
  const indexes = revision === 0 ? [0, 32] : revision === 3 ? [0, 4, 8] : [0, 4];
  for (const offset of indexes) {
    const index = u16(data, offset);
    if (index !== IPSET_INVALID_ID)
      return refusal(Errno.ENOENT, `SET: no set with index ${index} (bpfilter keeps no ipsets)`);
  }
  return undefined;
}

const onlyTables =
  (...tables: string[]) =>
  ({ table }: CheckContext): CheckResult =>
    tables.includes(table) ? undefined : `only valid in table ${tables.join(' or ')}`;

const tcpOrUdp = (ctx: CheckContext): CheckResult =>
  plainProto(ctx) === PROTO.TCP || plainProto(ctx) === PROTO.UDP
    ? undefined
    : 'can be used only with -p tcp or -p udp';

/** IPv4 targets: name -> spec. */
export const TARGETS: ReadonlyMap<string, ExtensionSpec> = new Map<string, ExtensionSpec>([
  ['', { sizes: { 0: 4 } }],
  ['ERROR', { sizes: { 0: 32 } }],
  [
    'REJECT',
    {
      sizes: { 0: 4 },
      table: 'filter',
      hooks: H.IN | H.FWD | H.OUT,
      check: ({ data, proto, invflags }) => {
        const withValue = decodeRejectInfo(data);
        if (withValue === IPT_ICMP_ECHOREPLY) return 'REJECT: ECHOREPLY is not supported';
        if (withValue === IPT_TCP_RESET && (proto !== PROTO.TCP || invflags & IPT_INV_PROTO))
          return 'REJECT: TCP_RESET is only valid for -p tcp';
        return undefined;
      },
    },
  ],
  [
    'LOG',
    {
      sizes: { 0: 32 },
      check: ({ data }) => {
        if (u8(data, 0) > 7) return 'LOG: level is above 7';
        if (!hasNul(data, 2, IPT_LOG_PREFIX_SIZE) || data[2 + IPT_LOG_PREFIX_SIZE - 1] !== 0)
          return 'LOG: prefix is not NUL-terminated';
        return undefined;
      },
    },
  ],
  [
    'MASQUERADE',
    { sizes: { 0: 20 }, table: 'nat', hooks: H.POST, check: natCompat({ mapIps: 'refused' }) },
  ],
  [
    'SNAT',
    { sizes: { 0: 20, 1: 40, 2: 44 }, table: 'nat', hooks: H.POST | H.IN, check: natRevisionCheck },
  ],
  [
    'DNAT',
    { sizes: { 0: 20, 1: 40, 2: 44 }, table: 'nat', hooks: H.PRE | H.OUT, check: natRevisionCheck },
  ],
  [
    'REDIRECT',
    {
      sizes: { 0: 20 },
      table: 'nat',
      hooks: H.PRE | H.OUT,
      check: natCompat({ mapIps: 'refused' }),
    },
  ],
  [
    'NETMAP',
    {
      sizes: { 0: 20 },
      table: 'nat',
      hooks: H.PRE | H.IN | H.OUT | H.POST,
      check: natCompat({ mapIps: 'required' }),
    },
  ],
  ['MARK', { sizes: { 2: 8 } }],
  ['CONNMARK', { sizes: { 1: 16, 2: 16 } }],
  ['CT', { sizes: { 0: 40, 1: 72, 2: 72 }, table: 'raw', check: checkCt }],
  ['NOTRACK', { sizes: { 0: 0 }, table: 'raw' }],
  ['TRACE', { sizes: { 0: 0 }, table: 'raw' }],
  ['TCPMSS', { sizes: { 0: 2 }, proto: PROTO.TCP, check: checkTcpmss }],
  [
    'NFLOG',
    {
      sizes: { 0: 76 },
      check: ({ data }) =>
        unknownFlags('NFLOG', u16(data, 8), 0x1) ??
        (u8(data, 75) !== 0 ? 'NFLOG: prefix is not NUL-terminated' : undefined),
    },
  ],
  [
    'NFQUEUE',
    {
      sizes: { 0: 2, 1: 4, 2: 6, 3: 6 },
      check: ({ data, revision }) => {
        if (revision === 0) return undefined;
        const total = u16(data, 2);
        if (total === 0) return 'NFQUEUE: queues_total is 0';
        if (total - 1 + u16(data, 0) > 0xffff)
          return refusal(Errno.ERANGE, 'NFQUEUE: queue numbers run past 65535');
        if (revision === 2 && u16(data, 4) > 1) return 'NFQUEUE: unknown flags';
        if (revision === 3) return unknownFlags('NFQUEUE', u16(data, 4), 0x3);
        return undefined;
      },
    },
  ],
  [
    'TEE',
    {
      sizes: { 1: 40 },
      check: ({ data }) => {
        if (data.subarray(0, 16).every((b) => b === 0)) return 'TEE: no gateway';
        if (u8(data, 16) && u8(data, 31)) return 'TEE: interface name is not NUL-terminated';
        return undefined;
      },
    },
  ],
  ['TPROXY', { sizes: { 0: 16, 1: 28 }, table: 'mangle', hooks: H.PRE, check: tcpOrUdp }],
  [
    'DSCP',
    {
      sizes: { 0: 1 },
      table: 'mangle',
      check: ({ data }) =>
        u8(data, 0) > 0x3f ? refusal(Errno.EDOM, 'DSCP: value above 63') : undefined,
    },
  ],
  ['TOS', { sizes: { 1: 2 }, table: 'mangle' }],
  [
    'TTL',
    {
      sizes: { 0: 2 },
      table: 'mangle',
      check: ({ data }) => {
        if (u8(data, 0) > 2) return 'TTL: unknown mode';
        if (u8(data, 0) !== 0 && u8(data, 1) === 0) return 'TTL: increment/decrement by 0';
        return undefined;
      },
    },
  ],
  ['CLASSIFY', { sizes: { 0: 4 }, hooks: H.OUT | H.FWD | H.POST }],
  [
    'CHECKSUM',
    {
      sizes: { 0: 1 },
      table: 'mangle',
      check: ({ data }) =>
        unknownFlags('CHECKSUM', u8(data, 0), 0x1) ??
        (u8(data, 0) === 0 ? 'CHECKSUM: no operation' : undefined),
    },
  ],
  ['SET', { sizes: { 0: 64, 1: 8, 2: 16, 3: 20 }, check: checkSetTarget }],
  [
    'AUDIT',
    {
      sizes: { 0: 1 },
      check: ({ data }) =>
        u8(data, 0) > 2 ? refusal(Errno.ERANGE, 'AUDIT: unknown type') : undefined,
    },
  ],
  [
    'CONNSECMARK',
    {
      sizes: { 0: 1 },
      check: (ctx) =>
        onlyTables('mangle', 'security')(ctx) ??
        (u8(ctx.data, 0) === 1 || u8(ctx.data, 0) === 2 ? undefined : 'CONNSECMARK: bad mode'),
    },
  ],
  [
    'SECMARK',
    {
      sizes: { 0: 264, 1: 264 },
      check: (ctx) => {
        const tables = onlyTables('mangle', 'security')(ctx);
        if (tables) return tables;
        if (u8(ctx.data, 0) !== 1) return 'SECMARK: unknown mode';
        if (u8(ctx.data, 263) !== 0) return 'SECMARK: context is not NUL-terminated';
        // The kernel asks the LSM to map the context; bpfilter has none that could.
        return refusal(Errno.ENOENT, 'SECMARK: no security module maps the context');
      },
    },
  ],
  [
    'HMARK',
    {
      sizes: { 0: 60 },
      check: ({ data }) => (u32(data, 52) === 0 ? 'HMARK: --hmark-mod is 0' : undefined),
    },
  ],
  [
    'IDLETIMER',
    {
      sizes: { 0: 40, 1: 48 },
      check: ({ data }) => {
        const timeout = u32(data, 0);
        if (timeout === 0 || timeout >= Math.floor(0x7fffffff / 1000))
          return 'IDLETIMER: timeout out of range';
        const label = cString(data, 4, 28);
        if (!label) return 'IDLETIMER: empty or unterminated label';
        // Each label is a sysfs attribute; "power" is the device's own directory there.
        if (label === 'power') return 'IDLETIMER: the label "power" is reserved';
        return undefined;
      },
    },
  ],
  [
    'RATEEST',
    {
      sizes: { 0: 32 },
      check: ({ data, env }) => {
        const name = cString(data, 0, 16);
        if (!name) return 'RATEEST: empty or unterminated name';
        env.addRateEstimator(name);
        return undefined;
      },
    },
  ],
  [
    'ECN',
    {
      sizes: { 0: 3 },
      table: 'mangle',
      check: (ctx) => {
        const operation = u8(ctx.data, 0);
        if (operation & 0xce) return 'ECN: unknown operation';
        if (u8(ctx.data, 1) & ~0x03) return 'ECN: bad ECT value';
        if (operation & 0x30 && plainProto(ctx) !== PROTO.TCP)
          return 'ECN: setting ECE/CWR needs -p tcp';
        return undefined;
      },
    },
  ],
  ['SYNPROXY', { sizes: { 0: 4 }, proto: PROTO.TCP, hooks: H.IN | H.FWD }],
  ['TCPOPTSTRIP', { sizes: { 0: 32 }, table: 'mangle', proto: PROTO.TCP }],
]);
