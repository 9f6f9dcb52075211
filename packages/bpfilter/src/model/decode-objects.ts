/**
 * The matches and targets of an entry (`xt_entry_match` / `xt_entry_target`) -> the model's
 * {@link Match} and {@link Target}: the extensions bpfilter knows field by field, the others
 * kept raw. Built property by property (no object spread: a large table decodes thousands).
 */
import {
  IPT_ICMP_INV,
  IPT_ICMP_SIZE,
  IPT_F_GOTO,
  IPT_LOG_INFO_SIZE,
  IPT_REJECT_INFO_SIZE,
  REJECT_WITH,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  VERDICT_QUEUE,
  VERDICT_RETURN,
  XT_STANDARD_TARGET,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_FLAGS,
  XT_TCP_INV_OPTION,
  XT_TCP_INV_SRCPT,
  XT_TCP_SIZE,
  XT_UDP_INV_DSTPT,
  XT_UDP_INV_SRCPT,
  XT_UDP_SIZE,
  decodeIcmp,
  decodeLogInfo,
  decodeRejectInfo,
  decodeTcp,
  decodeUdp,
  readI32,
  xtAlign,
  type XtObject,
  copyBytes,
} from '../abi/index.js';
import { isAnyIcmpCode, isAnyPort } from './canonical.js';
import type {
  IcmpMatch,
  Match,
  PortRange,
  StandardVerdict,
  Target,
  TcpMatch,
  UdpMatch,
} from './types.js';

/** Where a target sits: its entry's offset, size and flags (a jump to the next entry is none). */
export interface TargetPlace {
  offset: number;
  nextOffset: number;
  flags: number;
}

const STANDARD_VERDICTS = new Map<number, StandardVerdict>([
  [VERDICT_ACCEPT, 'ACCEPT'],
  [VERDICT_DROP, 'DROP'],
  [VERDICT_QUEUE, 'QUEUE'],
  [VERDICT_RETURN, 'RETURN'],
]);

/** The verdict of a standard target. */
export function verdictOf(target: XtObject): number {
  return readI32(target.data, 0);
}

/** A match as the model holds it. */
export function decodeMatch(object: XtObject): Match {
  const size = object.data.length;
  if (object.name === 'tcp' && object.revision === 0 && size === xtAlign(XT_TCP_SIZE)) {
    const tcp = decodeTcp(object.data);
    const inv = tcp.invflags;
    const match: TcpMatch = { kind: 'tcp' };
    addPorts(match, tcp, inv, XT_TCP_INV_SRCPT, XT_TCP_INV_DSTPT);
    if (tcp.flagsMask !== 0 || tcp.flagsCompare !== 0 || inv & XT_TCP_INV_FLAGS)
      match.flags = { mask: tcp.flagsMask, compare: tcp.flagsCompare };
    if (tcp.option !== 0 || inv & XT_TCP_INV_OPTION) match.option = tcp.option;
    if (inv & (XT_TCP_INV_SRCPT | XT_TCP_INV_DSTPT | XT_TCP_INV_FLAGS | XT_TCP_INV_OPTION)) {
      match.invert = portInversions(inv, XT_TCP_INV_SRCPT, XT_TCP_INV_DSTPT);
      if (inv & XT_TCP_INV_FLAGS) match.invert.flags = true;
      if (inv & XT_TCP_INV_OPTION) match.invert.option = true;
    }
    return match;
  }
  if (object.name === 'udp' && object.revision === 0 && size === xtAlign(XT_UDP_SIZE)) {
    const udp = decodeUdp(object.data);
    const inv = udp.invflags;
    const match: UdpMatch = { kind: 'udp' };
    addPorts(match, udp, inv, XT_UDP_INV_SRCPT, XT_UDP_INV_DSTPT);
    if (inv & (XT_UDP_INV_SRCPT | XT_UDP_INV_DSTPT))
      match.invert = portInversions(inv, XT_UDP_INV_SRCPT, XT_UDP_INV_DSTPT);
    return match;
  }
  if (object.name === 'icmp' && object.revision === 0 && size === xtAlign(IPT_ICMP_SIZE)) {
    const icmp = decodeIcmp(object.data);
    const match: IcmpMatch = { kind: 'icmp', type: icmp.type };
    if (!isAnyIcmpCode([icmp.codeMin, icmp.codeMax])) match.code = [icmp.codeMin, icmp.codeMax];
    if (icmp.invflags & IPT_ICMP_INV) match.invert = true;
    return match;
  }
  return {
    kind: 'raw',
    name: object.name,
    revision: object.revision,
    data: copyBytes(object.data),
  };
}

/**
 * The port ranges of a tcp or udp match: a range is kept if it limits the ports or is
 * inverted (`sourceBit`, `destinationBit`: its inversion bits in `invflags`).
 */
function addPorts(
  match: TcpMatch | UdpMatch,
  ports: { sourcePorts: PortRange; destinationPorts: PortRange },
  invflags: number,
  sourceBit: number,
  destinationBit: number,
): void {
  if (!isAnyPort(ports.sourcePorts) || invflags & sourceBit) match.sourcePorts = ports.sourcePorts;
  if (!isAnyPort(ports.destinationPorts) || invflags & destinationBit)
    match.destinationPorts = ports.destinationPorts;
}

/** The port inversions of a tcp or udp match's `invflags`. */
function portInversions(
  invflags: number,
  sourceBit: number,
  destinationBit: number,
): NonNullable<TcpMatch['invert']> {
  const invert: NonNullable<TcpMatch['invert']> = {};
  if (invflags & sourceBit) invert.sourcePorts = true;
  if (invflags & destinationBit) invert.destinationPorts = true;
  return invert;
}

/**
 * A target as the model holds it; `chainAtOffset` names the user chain each jump offset
 * starts. Throws a RangeError (`where` says which entry) for a jump no chain starts at.
 */
export function decodeTarget(
  target: XtObject,
  place: TargetPlace,
  chainAtOffset: ReadonlyMap<number, string>,
  where: string,
): Target {
  const size = target.data.length;
  if (target.name === XT_STANDARD_TARGET && size >= 4) {
    const verdict = verdictOf(target);
    // libiptc's fall-through (a rule without -j): a jump to the very next entry.
    if (verdict === place.offset + place.nextOffset) {
      if (place.flags & IPT_F_GOTO)
        throw new RangeError(`${where}: a goto to the next entry (libiptc never builds one)`);
      return { kind: 'none' };
    }
    if (verdict >= 0) {
      const chain = chainAtOffset.get(verdict);
      if (chain === undefined)
        throw new RangeError(`${where}: jump to offset ${verdict}, not the start of a user chain`);
      return { kind: place.flags & IPT_F_GOTO ? 'goto' : 'jump', chain };
    }
    const named = STANDARD_VERDICTS.get(verdict);
    if (named) return { kind: 'verdict', verdict: named };
  }
  if (target.name === 'REJECT' && target.revision === 0 && size === xtAlign(IPT_REJECT_INFO_SIZE)) {
    const withName = REJECT_WITH[decodeRejectInfo(target.data)];
    if (withName) return { kind: 'reject', with: withName };
  }
  if (target.name === 'LOG' && target.revision === 0 && size === xtAlign(IPT_LOG_INFO_SIZE)) {
    const log = decodeLogInfo(target.data);
    return { kind: 'log', level: log.level, prefix: log.prefix, flags: log.logflags };
  }
  return {
    kind: 'raw',
    name: target.name,
    revision: target.revision,
    data: copyBytes(target.data),
  };
}
