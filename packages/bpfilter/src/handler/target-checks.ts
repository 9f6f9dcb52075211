/** The checkentry rules of IPv4 targets (each from its `xt_*.c`), for `extension-targets.ts`. */
import {
  decodeRejectInfo,
  hasNul,
  IPT_ICMP_ECHOREPLY,
  IPT_INV_PROTO,
  IPT_LOG_PREFIX_SIZE,
  IPT_TCP_RESET,
} from '../abi/index.js';
import {
  type CheckContext,
  type CheckResult,
  cString,
  Errno,
  H,
  PROTO,
  plainProto,
  refusal,
  u8,
  u16,
  u32,
  unknownFlags,
} from './extension-spec.js';

/** `NF_NAT_RANGE_MAP_IPS`: the range names addresses. */
const NAT_MAP_IPS = 1;
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
export function natCompat({ mapIps }: { mapIps: 'required' | 'refused' | 'either' }) {
  return ({ data }: CheckContext): CheckResult => {
    const flags = u32(data, 4);
    if (mapIps === 'refused' && flags & NAT_MAP_IPS) return 'bad MAP_IPS';
    if (mapIps === 'required' && !(flags & NAT_MAP_IPS)) return 'bad MAP_IPS';
    if (u32(data, 0) !== 1) return `multiple ranges (rangesize ${u32(data, 0)}) not supported`;
    return undefined;
  };
}

/** SNAT/DNAT: revision 0 carries the compat range; 1 and 2 have no check of their own. */
export const natRevisionCheck = (ctx: CheckContext): CheckResult =>
  ctx.revision === 0 ? natCompat({ mapIps: 'either' })(ctx) : undefined;

/** `xt_ct_tg_check`: flags, then the helper (needs an L4 protocol), then the timeout policy. */
export function checkCt(ctx: CheckContext): CheckResult {
  const { data, revision } = ctx;
  const flags = u16(data, 0);
  // XT_CT_MASK for revision 2 (notrack, its alias, the zone's directions, a zone from the mark).
  const unknown = unknownFlags('CT', flags, revision === 2 ? 0x1f : 0x1);
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
export function checkTcpmss({ data, hookMask, matches }: CheckContext): CheckResult {
  if (u16(data, 0) === TCPMSS_CLAMP_PMTU && hookMask & ~(H.FWD | H.OUT | H.POST))
    return 'TCPMSS: path-MTU clamping only supported in FORWARD, OUTPUT and POSTROUTING hooks';
  const syn = matches.some(
    (m) => m.name === 'tcp' && u8(m.data, 10) & TCP_SYN && !(u8(m.data, 11) & XT_TCP_INV_FLAGS),
  );
  return syn ? undefined : 'TCPMSS: only works on TCP SYN packets (needs --syn or --tcp-flags)';
}

const onlyTables =
  (...tables: string[]) =>
  ({ table }: CheckContext): CheckResult =>
    tables.includes(table) ? undefined : `only valid in table ${tables.join(' or ')}`;

export const tcpOrUdp = (ctx: CheckContext): CheckResult =>
  plainProto(ctx) === PROTO.TCP || plainProto(ctx) === PROTO.UDP
    ? undefined
    : 'can be used only with -p tcp or -p udp';

/** `reject_tg_check`: no ECHOREPLY; a TCP reset only for -p tcp. */
export function checkReject({ data, proto, invflags }: CheckContext): CheckResult {
  const withValue = decodeRejectInfo(data);
  if (withValue === IPT_ICMP_ECHOREPLY) return 'REJECT: ECHOREPLY is not supported';
  if (withValue === IPT_TCP_RESET && (proto !== PROTO.TCP || invflags & IPT_INV_PROTO))
    return 'REJECT: TCP_RESET is only valid for -p tcp';
  return undefined;
}

/** `log_tg_check`: a syslog level, a NUL-terminated prefix. */
export function checkLog({ data }: CheckContext): CheckResult {
  if (u8(data, 0) > 7) return 'LOG: level is above 7';
  if (!hasNul(data, 2, IPT_LOG_PREFIX_SIZE) || data[2 + IPT_LOG_PREFIX_SIZE - 1] !== 0)
    return 'LOG: prefix is not NUL-terminated';
  return undefined;
}

/** `nfqueue_tg_check`: queues within 16 bits, known flags. */
export function checkNfqueue({ data, revision }: CheckContext): CheckResult {
  if (revision === 0) return undefined;
  const total = u16(data, 2);
  if (total === 0) return 'NFQUEUE: queues_total is 0';
  if (total - 1 + u16(data, 0) > 0xffff)
    return refusal(Errno.ERANGE, 'NFQUEUE: queue numbers run past 65535');
  if (revision === 2 && u16(data, 4) > 1) return 'NFQUEUE: unknown flags';
  if (revision === 3) return unknownFlags('NFQUEUE', u16(data, 4), 0x3);
  return undefined;
}

/** `tee_tg_check`: a gateway, a NUL-terminated interface name. */
export function checkTee({ data }: CheckContext): CheckResult {
  if (data.subarray(0, 16).every((b) => b === 0)) return 'TEE: no gateway';
  if (u8(data, 16) && u8(data, 31)) return 'TEE: interface name is not NUL-terminated';
  return undefined;
}

/** `ttl_tg_check`: a known mode, no change by 0. */
export function checkTtl({ data }: CheckContext): CheckResult {
  if (u8(data, 0) > 2) return 'TTL: unknown mode';
  if (u8(data, 0) !== 0 && u8(data, 1) === 0) return 'TTL: increment/decrement by 0';
  return undefined;
}

/** `secmark_tg_check`: mangle or security, a context the LSM maps. */
export function checkSecmark(ctx: CheckContext): CheckResult {
  const tables = onlyTables('mangle', 'security')(ctx);
  if (tables) return tables;
  if (u8(ctx.data, 0) !== 1) return 'SECMARK: unknown mode';
  if (u8(ctx.data, 263) !== 0) return 'SECMARK: context is not NUL-terminated';
  // The kernel asks the LSM to map the context; bpfilter has none that could.
  return refusal(Errno.ENOENT, 'SECMARK: no security module maps the context');
}

/**
 * `idletimer_tg_checkentry`: a timeout in range, a usable label; revision 1 first refuses
 * netlink messages (EOPNOTSUPP) and last a timer of neither type.
 */
export function checkIdletimer({ data, revision }: CheckContext): CheckResult {
  if (revision === 1 && u8(data, 32))
    return refusal(Errno.EOPNOTSUPP, 'IDLETIMER: netlink messages not supported');
  const timeout = u32(data, 0);
  if (timeout === 0 || timeout >= Math.floor(0x7fffffff / 1000))
    return 'IDLETIMER: timeout out of range';
  const label = cString(data, 4, 28);
  if (!label) return 'IDLETIMER: empty or unterminated label';
  // Each label is a sysfs attribute; "power" is the device's own directory there.
  if (label === 'power') return 'IDLETIMER: the label "power" is reserved';
  if (revision === 1 && u8(data, 33) > 1) return 'IDLETIMER: unknown timer type';
  return undefined;
}

const HMARK_SPI = 1 << 2;
const HMARK_SPI_MASK = 1 << 3;
const HMARK_PORTS = (1 << 4) | (1 << 5);
const HMARK_PORT_MASKS = (1 << 6) | (1 << 7);

/** `hmark_tg_check`: a modulus; an SPI and its mask, or ports and their masks, not both. */
export function checkHmark({ data }: CheckContext): CheckResult {
  if (u32(data, 52) === 0) return 'HMARK: --hmark-mod is 0';
  const flags = u32(data, 40);
  if (flags & HMARK_SPI_MASK && flags & HMARK_PORT_MASKS)
    return 'HMARK: --hmark-spi-mask with a port mask';
  if (flags & HMARK_SPI && flags & HMARK_PORTS) return 'HMARK: --hmark-spi with a port';
  return undefined;
}

/** CONNMARK revision 2's checkentry: a shift left or right, of at most 31 bits. */
export function checkConnmark({ data, revision }: CheckContext): CheckResult {
  if (revision < 2) return undefined;
  if (u8(data, 12) > 1) return 'CONNMARK: unknown shift direction';
  if (u8(data, 13) > 31) return 'CONNMARK: shift above 31 bits';
  return undefined;
}

/** `xt_rateest_tg_checkentry`: a name; the estimator exists from now on. */
export function checkRateestTarget({ data, env }: CheckContext): CheckResult {
  const name = cString(data, 0, 16);
  if (!name) return 'RATEEST: empty or unterminated name';
  env.addRateEstimator(name);
  return undefined;
}

/** `ecn_tg_check`: known operation and ECT value; ECE/CWR only for -p tcp. */
export function checkEcnTarget(ctx: CheckContext): CheckResult {
  const operation = u8(ctx.data, 0);
  if (operation & 0xce) return 'ECN: unknown operation';
  if (u8(ctx.data, 1) & ~0x03) return 'ECN: bad ECT value';
  if (operation & 0x30 && plainProto(ctx) !== PROTO.TCP) return 'ECN: setting ECE/CWR needs -p tcp';
  return undefined;
}

/** `connsecmark_tg_check`: mangle or security, a known mode. */
export function checkConnsecmark(ctx: CheckContext): CheckResult {
  return (
    onlyTables('mangle', 'security')(ctx) ??
    (u8(ctx.data, 0) === 1 || u8(ctx.data, 0) === 2 ? undefined : 'CONNSECMARK: bad mode')
  );
}

/** `nflog_tg_check`: known flags, a NUL-terminated prefix. */
export function checkNflog({ data }: CheckContext): CheckResult {
  return (
    unknownFlags('NFLOG', u16(data, 8), 0x1) ??
    (u8(data, 75) !== 0 ? 'NFLOG: prefix is not NUL-terminated' : undefined)
  );
}

/** `checksum_tg_check`: one known operation. */
export function checkChecksum({ data }: CheckContext): CheckResult {
  return (
    unknownFlags('CHECKSUM', u8(data, 0), 0x1) ??
    (u8(data, 0) === 0 ? 'CHECKSUM: no operation' : undefined)
  );
}
