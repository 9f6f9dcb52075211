/**
 * IPv4 matches as the kernel registers them (Linux 6.18): revisions measured with
 * GET_REVISION_MATCH, data sizes from the uapi structs, table/hook/protocol restrictions and
 * checkentry rules from each `xt_*.c` (`match-checks.ts`), each checked against a kernel in a
 * network namespace (test/iptables-validation.test.ts).
 */
import { IPT_ICMP_INV, XT_TCP_INV_MASK, XT_UDP_INV_MASK } from '../abi/index.js';
import {
  byteAtMost,
  Errno,
  type ExtensionSpec,
  flagsAt,
  H,
  optionsAt,
  PROTO,
  refusal,
  registry,
  u8,
  u16,
  u32,
  unknownFlags,
} from './extension-spec.js';
import {
  checkAddrtype,
  checkCgroup,
  checkCluster,
  checkDevgroup,
  checkEcn,
  checkHashlimit,
  checkLimit,
  checkMultiport,
  checkOwner,
  checkPhysdev,
  checkPolicy,
  checkRateest,
  checkRecent,
  checkSctp,
  checkString,
  checkTime,
  checkU32,
  clampHashlimitSizes,
} from './match-checks.js';
import { checkSetMatch } from './set-checks.js';

/** IPv4 matches: name -> spec. */
export const MATCHES: ReadonlyMap<string, ExtensionSpec> = registry({
  tcp: {
    sizes: { 0: 12 },
    proto: PROTO.TCP,
    check: flagsAt('tcp invflags', u8, 11, XT_TCP_INV_MASK),
  },
  udp: {
    sizes: { 0: 10 },
    proto: PROTO.UDP,
    check: flagsAt('udp invflags', u8, 8, XT_UDP_INV_MASK),
  },
  icmp: {
    sizes: { 0: 4 },
    proto: PROTO.ICMP,
    check: flagsAt('icmp invflags', u8, 3, IPT_ICMP_INV),
  },
  udplite: {
    sizes: { 0: 10 },
    proto: PROTO.UDPLITE,
    check: flagsAt('udplite invflags', u8, 8, XT_UDP_INV_MASK),
  },
  limit: { familyIndependent: true, sizes: { 0: 40 }, userSizes: { 0: 8 }, check: checkLimit },
  comment: { familyIndependent: true, sizes: { 0: 256 } },
  conntrack: { familyIndependent: true, sizes: { 1: 152, 2: 156, 3: 164 } },
  state: { familyIndependent: true, sizes: { 0: 4 } },
  multiport: { sizes: { 1: 48 }, check: checkMultiport },
  mark: { familyIndependent: true, sizes: { 1: 12 } },
  mac: { sizes: { 0: 12 }, hooks: H.PRE | H.IN | H.FWD },
  iprange: { sizes: { 1: 68 } },
  addrtype: { sizes: { 0: 12, 1: 8 }, check: checkAddrtype },
  owner: { sizes: { 1: 20 }, hooks: H.OUT | H.POST, check: checkOwner },
  physdev: { sizes: { 0: 66 }, check: checkPhysdev },
  pkttype: { familyIndependent: true, sizes: { 0: 8 } },
  length: { sizes: { 0: 6 } },
  ttl: { sizes: { 0: 2 } },
  hashlimit: {
    sizes: { 1: 56, 2: 304, 3: 312 },
    userSizes: { 1: 48, 2: 296, 3: 304 },
    check: checkHashlimit,
    keptData: clampHashlimitSizes,
  },
  recent: { sizes: { 0: 212, 1: 228 }, check: checkRecent },
  connlimit: { sizes: { 1: 32 }, userSizes: { 1: 24 } },
  connmark: { familyIndependent: true, sizes: { 1: 12 } },
  tos: { sizes: { 1: 3 } },
  dscp: { sizes: { 0: 2 }, check: byteAtMost(0, 0x3f, Errno.EDOM, 'dscp: value above 63') },
  string: { familyIndependent: true, sizes: { 1: 160 }, userSizes: { 1: 152 }, check: checkString },
  u32: { familyIndependent: true, sizes: { 0: 1984 }, check: checkU32 },
  time: { familyIndependent: true, sizes: { 0: 24 }, check: checkTime },
  set: { sizes: { 0: 32, 1: 4, 2: 4, 3: 48, 4: 48 }, check: checkSetMatch },
  policy: { sizes: { 0: 308 }, check: checkPolicy },
  esp: { sizes: { 0: 12 }, proto: PROTO.ESP, check: flagsAt('esp invflags', u8, 8, 0x1) },
  ah: { sizes: { 0: 12 }, proto: PROTO.AH, check: flagsAt('ah invflags', u8, 8, 0x1) },
  socket: {
    sizes: { 0: 0, 1: 1, 2: 1, 3: 1 },
    hooks: H.PRE | H.IN,
    check: ({ data, revision }) =>
      revision === 0 ? undefined : unknownFlags('socket', u8(data, 0), [0, 1, 3, 7][revision]!),
  },
  // Its checkentry ends the name in the field's last byte.
  helper: { familyIndependent: true, sizes: { 0: 36 }, keptData: (data) => data.fill(0, 33, 34) },
  bpf: { familyIndependent: true, sizes: { 0: 528, 1: 528 }, userSizes: { 0: 520, 1: 520 } },
  cgroup: {
    familyIndependent: true,
    sizes: { 0: 8, 1: 4112, 2: 528 },
    userSizes: { 1: 4104, 2: 520 },
    hooks: H.IN | H.OUT | H.POST,
    check: checkCgroup,
  },
  cluster: { sizes: { 0: 16 }, check: checkCluster },
  connbytes: {
    familyIndependent: true,
    sizes: { 0: 24 },
    check: ({ data }) =>
      u8(data, 16) > 2 || u8(data, 17) > 2 ? 'connbytes: bad mode or direction' : undefined,
  },
  connlabel: {
    familyIndependent: true,
    sizes: { 0: 4 },
    check: ({ data }) =>
      unknownFlags('connlabel', u16(data, 2), 0x3) ??
      (u16(data, 0) >= 128 ? refusal(Errno.ERANGE, 'connlabel: label bit above 127') : undefined),
  },
  cpu: { familyIndependent: true, sizes: { 0: 8 }, check: flagsAt('cpu', u32, 4, 0x1) },
  dccp: {
    sizes: { 0: 16 },
    proto: PROTO.DCCP,
    check: optionsAt('dccp', u16, 8, 10, 0x0f),
  },
  devgroup: { familyIndependent: true, sizes: { 0: 20 }, check: checkDevgroup },
  ecn: { sizes: { 0: 4 }, check: checkEcn },
  ipcomp: { sizes: { 0: 12 }, proto: PROTO.IPCOMP, check: flagsAt('ipcomp invflags', u8, 8, 0x3) },
  nfacct: {
    familyIndependent: true,
    sizes: { 0: 40, 1: 40 },
    check: () => refusal(Errno.ENOENT, 'nfacct: bpfilter keeps no accounting objects'),
  },
  osf: { sizes: { 0: 48 }, proto: PROTO.TCP, hooks: H.PRE | H.IN | H.FWD },
  quota: {
    familyIndependent: true,
    sizes: { 0: 24 },
    userSizes: { 0: 16 },
    check: flagsAt('quota', u32, 0, 0x1),
  },
  rateest: { familyIndependent: true, sizes: { 0: 72 }, userSizes: { 0: 56 }, check: checkRateest },
  realm: { sizes: { 0: 12 }, hooks: H.POST | H.FWD | H.OUT | H.IN },
  rpfilter: {
    sizes: { 0: 1 },
    hooks: H.PRE,
    check: ({ data, table }) =>
      unknownFlags('rpfilter', u8(data, 0), 0xf) ??
      (table === 'raw' || table === 'mangle' ? undefined : 'rpfilter: only in raw or mangle'),
  },
  sctp: {
    sizes: { 0: 292 },
    proto: PROTO.SCTP,
    check: checkSctp,
  },
  statistic: {
    familyIndependent: true,
    sizes: { 0: 24 },
    userSizes: { 0: 16 },
    check: ({ data }) =>
      u16(data, 0) > 1 ? 'statistic: unknown mode' : unknownFlags('statistic', u16(data, 2), 1),
  },
  tcpmss: { sizes: { 0: 6 }, proto: PROTO.TCP },
});
