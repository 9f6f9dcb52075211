/**
 * The extensions the handler knows: the revisions a current Linux kernel registers for IPv4
 * (measured on 6.18 with GET_REVISION_MATCH/TARGET, revisions 0..7, for every extension
 * Debian's iptables 1.8.9 ships; CLUSTERIP, LED, ULOG, ipvs are absent there too), and for those bpfilter evaluates, the kernel's data
 * size and its `checkentry` rules. Everything else is kept as raw bytes.
 */
import {
  Errno,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPT_ICMP_ECHOREPLY,
  IPT_ICMP_INV,
  IPT_ICMP_SIZE,
  IPT_INV_PROTO,
  IPT_LOG_INFO_SIZE,
  IPT_LOG_PREFIX_SIZE,
  IPT_REJECT_INFO_SIZE,
  IPT_TCP_RESET,
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  XT_FUNCTION_MAXNAMELEN,
  XT_TCP_INV_MASK,
  XT_TCP_SIZE,
  XT_UDP_INV_MASK,
  XT_UDP_SIZE,
  decodeRejectInfo,
  hasNul,
} from '../abi/index.js';

/** What a checkentry sees of the rule. */
export interface CheckContext {
  /** `ipt_ip.proto` and whether it is inverted. */
  proto: number;
  invflags: number;
  /** The extension's data (after the 32-byte header). */
  data: Uint8Array;
}

/** One registered extension (a match or a target). */
export interface ExtensionSpec {
  /** Revisions the kernel registers. */
  revisions: readonly number[];
  /** The kernel's `matchsize`/`targetsize` before alignment (checked when known). */
  size?: number;
  /** Only valid with this `ipt_ip.proto`, not inverted. */
  proto?: number;
  /** Only valid in this table. */
  table?: string;
  /** Bitmask of hooks it may be reached from. */
  hooks?: number;
  /** The kernel's checkentry: a message when it refuses (errno EINVAL). */
  check?: (ctx: CheckContext) => string | undefined;
}

const bit = (hook: number) => 1 << hook;

/** IPv4 matches: name -> spec. Revisions measured on Linux 6.18 (`GET_REVISION_MATCH`). */
export const MATCHES: ReadonlyMap<string, ExtensionSpec> = new Map<string, ExtensionSpec>([
  [
    'tcp',
    {
      revisions: [0],
      size: XT_TCP_SIZE,
      proto: IPPROTO_TCP,
      check: ({ data }) =>
        (data[11] ?? 0) & ~XT_TCP_INV_MASK ? 'tcp: unknown invflags' : undefined,
    },
  ],
  [
    'udp',
    {
      revisions: [0],
      size: XT_UDP_SIZE,
      proto: IPPROTO_UDP,
      check: ({ data }) =>
        (data[8] ?? 0) & ~XT_UDP_INV_MASK ? 'udp: unknown invflags' : undefined,
    },
  ],
  [
    'icmp',
    {
      revisions: [0],
      size: IPT_ICMP_SIZE,
      proto: IPPROTO_ICMP,
      check: ({ data }) => ((data[3] ?? 0) & ~IPT_ICMP_INV ? 'icmp: unknown invflags' : undefined),
    },
  ],
  ['udplite', { revisions: [0] }],
  ['limit', { revisions: [0] }],
  ['comment', { revisions: [0] }],
  ['conntrack', { revisions: [1, 2, 3] }],
  ['state', { revisions: [0] }],
  ['multiport', { revisions: [1] }],
  ['mark', { revisions: [1] }],
  ['mac', { revisions: [0] }],
  ['iprange', { revisions: [1] }],
  ['addrtype', { revisions: [0, 1] }],
  ['owner', { revisions: [1] }],
  ['physdev', { revisions: [0] }],
  ['pkttype', { revisions: [0] }],
  ['length', { revisions: [0] }],
  ['ttl', { revisions: [0] }],
  ['hashlimit', { revisions: [1, 2, 3] }],
  ['recent', { revisions: [0, 1] }],
  ['connlimit', { revisions: [1] }],
  ['connmark', { revisions: [1] }],
  ['tos', { revisions: [1] }],
  ['dscp', { revisions: [0] }],
  ['string', { revisions: [1] }],
  ['u32', { revisions: [0] }],
  ['time', { revisions: [0] }],
  ['set', { revisions: [0, 1, 2, 3, 4] }],
  ['policy', { revisions: [0] }],
  ['esp', { revisions: [0] }],
  ['ah', { revisions: [0] }],
  ['socket', { revisions: [0, 1, 2, 3] }],
  ['helper', { revisions: [0] }],
  ['bpf', { revisions: [0, 1] }],
  ['cgroup', { revisions: [0, 1, 2] }],
  ['cluster', { revisions: [0] }],
  ['connbytes', { revisions: [0] }],
  ['connlabel', { revisions: [0] }],
  ['cpu', { revisions: [0] }],
  ['dccp', { revisions: [0] }],
  ['devgroup', { revisions: [0] }],
  ['ecn', { revisions: [0] }],
  ['ipcomp', { revisions: [0] }],
  ['nfacct', { revisions: [0, 1] }],
  ['osf', { revisions: [0] }],
  ['quota', { revisions: [0] }],
  ['rateest', { revisions: [0] }],
  ['realm', { revisions: [0] }],
  ['rpfilter', { revisions: [0] }],
  ['sctp', { revisions: [0] }],
  ['statistic', { revisions: [0] }],
  ['tcpmss', { revisions: [0] }],
]);

/** IPv4 targets: name -> spec. Revisions measured on Linux 6.18 (`GET_REVISION_TARGET`). */
export const TARGETS: ReadonlyMap<string, ExtensionSpec> = new Map<string, ExtensionSpec>([
  ['', { revisions: [0], size: 4 }],
  ['ERROR', { revisions: [0], size: XT_FUNCTION_MAXNAMELEN }],
  [
    'REJECT',
    {
      revisions: [0],
      size: IPT_REJECT_INFO_SIZE,
      table: 'filter',
      hooks: bit(NF_INET_LOCAL_IN) | bit(NF_INET_FORWARD) | bit(NF_INET_LOCAL_OUT),
      check: ({ data, proto, invflags }) => {
        const withValue = decodeRejectInfo(data);
        if (withValue === IPT_ICMP_ECHOREPLY) return 'REJECT: ECHOREPLY is not supported';
        if (withValue === IPT_TCP_RESET && (proto !== IPPROTO_TCP || invflags & IPT_INV_PROTO))
          return 'REJECT: TCP_RESET is only valid for -p tcp';
        return undefined;
      },
    },
  ],
  [
    'LOG',
    {
      revisions: [0],
      size: IPT_LOG_INFO_SIZE,
      check: ({ data }) => {
        if ((data[0] ?? 0) > 7) return 'LOG: level is above 7';
        if (!hasNul(data, 2, IPT_LOG_PREFIX_SIZE) || data[2 + IPT_LOG_PREFIX_SIZE - 1] !== 0)
          return 'LOG: prefix is not NUL-terminated';
        return undefined;
      },
    },
  ],
  ['MASQUERADE', { revisions: [0] }],
  ['SNAT', { revisions: [0, 1, 2] }],
  ['DNAT', { revisions: [0, 1, 2] }],
  ['REDIRECT', { revisions: [0] }],
  ['MARK', { revisions: [2] }],
  ['CONNMARK', { revisions: [1, 2] }],
  ['CT', { revisions: [0, 1, 2] }],
  ['NOTRACK', { revisions: [0] }],
  ['TCPMSS', { revisions: [0] }],
  ['NFLOG', { revisions: [0] }],
  ['NFQUEUE', { revisions: [0, 1, 2, 3] }],
  ['TEE', { revisions: [1] }],
  ['TPROXY', { revisions: [0, 1] }],
  ['DSCP', { revisions: [0] }],
  ['TOS', { revisions: [1] }],
  ['TTL', { revisions: [0] }],
  ['CLASSIFY', { revisions: [0] }],
  ['CHECKSUM', { revisions: [0] }],
  ['SET', { revisions: [0, 1, 2, 3] }],
  ['TRACE', { revisions: [0] }],
  ['AUDIT', { revisions: [0] }],
  ['CONNSECMARK', { revisions: [0] }],
  ['SECMARK', { revisions: [0, 1] }],
  ['HMARK', { revisions: [0] }],
  ['IDLETIMER', { revisions: [0, 1] }],
  ['RATEEST', { revisions: [0] }],
  ['ECN', { revisions: [0] }],
  ['NETMAP', { revisions: [0] }],
  ['SYNPROXY', { revisions: [0] }],
  ['TCPOPTSTRIP', { revisions: [0] }],
]);

/**
 * The kernel's `xt_find_revision` answer: 0 if that revision exists, -EPROTONOSUPPORT if
 * the extension exists in other revisions only, -ENOENT if it is unknown.
 */
export function revisionStatus(kind: 'match' | 'target', name: string, revision: number): number {
  const spec = (kind === 'match' ? MATCHES : TARGETS).get(name);
  if (!spec) return -Errno.ENOENT;
  return spec.revisions.includes(revision) ? 0 : -Errno.EPROTONOSUPPORT;
}
