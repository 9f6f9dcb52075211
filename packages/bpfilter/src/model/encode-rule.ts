/** One rule of the table model -> its `ipt_entry` (matches and target), for `encode.ts`. */
import {
  IPT_F_FRAG,
  IPT_F_GOTO,
  IPT_ICMP_INV,
  REJECT_WITH,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  VERDICT_QUEUE,
  VERDICT_RETURN,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_FLAGS,
  XT_TCP_INV_OPTION,
  XT_TCP_INV_SRCPT,
  XT_UDP_INV_DSTPT,
  XT_UDP_INV_SRCPT,
  assembleEntry,
  emptyIptIp,
  encodeIcmp,
  encodeLogInfo,
  encodeRejectInfo,
  encodeStandardTarget,
  encodeTcp,
  encodeUdp,
  encodeXtObject,
  formatIpv4,
  interfaceMaskFor,
} from '../abi/index.js';
import { parseCidr } from './address.js';
import { inversionFlags } from './ip-inversions.js';
import type { Match, Rule, StandardVerdict, Target } from './types.js';

/** The standard target's verdict code of each standard verdict. */
export const VERDICTS: Record<StandardVerdict, number> = {
  ACCEPT: VERDICT_ACCEPT,
  DROP: VERDICT_DROP,
  QUEUE: VERDICT_QUEUE,
  RETURN: VERDICT_RETURN,
};

/**
 * The entry of `rule` (`where` names it in errors); a jump's or goto's verdict is left 0 for
 * `encodeTable` to patch with the chain's offset.
 */
export function encodeRule(rule: Rule, where: string): Uint8Array {
  const ip = emptyIptIp();
  const invert = rule.invert ?? {};
  try {
    if (rule.source !== undefined) {
      const { address, mask } = parseCidr(rule.source);
      ip.src = formatIpv4((address & mask) >>> 0);
      ip.srcMask = formatIpv4(mask);
    }
    if (rule.destination !== undefined) {
      const { address, mask } = parseCidr(rule.destination);
      ip.dst = formatIpv4((address & mask) >>> 0);
      ip.dstMask = formatIpv4(mask);
    }
  } catch (error) {
    throw new RangeError(`${where}: ${(error as Error).message}`);
  }
  if (rule.inInterface) {
    ip.inIface = rule.inInterface;
    ip.inIfaceMask = rule.inInterfaceMask ?? interfaceMaskFor(rule.inInterface);
  }
  if (rule.outInterface) {
    ip.outIface = rule.outInterface;
    ip.outIfaceMask = rule.outInterfaceMask ?? interfaceMaskFor(rule.outInterface);
  }
  if ((rule.inInterface?.length ?? 0) > 15 || (rule.outInterface?.length ?? 0) > 15)
    throw new RangeError(`${where}: interface names have at most 15 characters`);
  const protocol = rule.protocol ?? 0;
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255)
    throw new RangeError(`${where}: protocol ${protocol} is not 0..255`);
  ip.proto = protocol;
  ip.flags = (rule.fragment ? IPT_F_FRAG : 0) | (rule.target.kind === 'goto' ? IPT_F_GOTO : 0);
  ip.invflags = inversionFlags(invert);
  const matches = (rule.matches ?? []).map((m) => encodeMatch(m));
  return assembleEntry({ ip }, matches, encodeTarget(rule.target, where));
}

function checkPorts(range: [number, number] | undefined, label: string): [number, number] {
  const r = range ?? [0, 65535];
  if (!r.every((p) => Number.isInteger(p) && p >= 0 && p <= 65535))
    throw new RangeError(`${label}: ports must be 0..65535`);
  return r;
}

function encodeMatch(match: Match): Uint8Array {
  switch (match.kind) {
    case 'tcp': {
      const inv = match.invert ?? {};
      return encodeXtObject({
        name: 'tcp',
        revision: 0,
        data: encodeTcp({
          sourcePorts: checkPorts(match.sourcePorts, 'tcp'),
          destinationPorts: checkPorts(match.destinationPorts, 'tcp'),
          option: match.option ?? 0,
          flagsMask: match.flags?.mask ?? 0,
          flagsCompare: match.flags?.compare ?? 0,
          invflags:
            (inv.sourcePorts ? XT_TCP_INV_SRCPT : 0) |
            (inv.destinationPorts ? XT_TCP_INV_DSTPT : 0) |
            (inv.flags ? XT_TCP_INV_FLAGS : 0) |
            (inv.option ? XT_TCP_INV_OPTION : 0),
        }),
      });
    }
    case 'udp': {
      const inv = match.invert ?? {};
      return encodeXtObject({
        name: 'udp',
        revision: 0,
        data: encodeUdp({
          sourcePorts: checkPorts(match.sourcePorts, 'udp'),
          destinationPorts: checkPorts(match.destinationPorts, 'udp'),
          invflags:
            (inv.sourcePorts ? XT_UDP_INV_SRCPT : 0) |
            (inv.destinationPorts ? XT_UDP_INV_DSTPT : 0),
        }),
      });
    }
    case 'icmp': {
      const [codeMin, codeMax] = match.code ?? [0, 255];
      return encodeXtObject({
        name: 'icmp',
        revision: 0,
        data: encodeIcmp({
          type: match.type,
          codeMin,
          codeMax,
          invflags: match.invert ? IPT_ICMP_INV : 0,
        }),
      });
    }
    case 'raw':
      return encodeXtObject({ name: match.name, revision: match.revision, data: match.data });
  }
}

function encodeTarget(target: Target, where: string): Uint8Array {
  switch (target.kind) {
    case 'verdict': {
      const verdict = VERDICTS[target.verdict];
      if (verdict === undefined)
        throw new RangeError(`${where}: unknown verdict "${String(target.verdict)}"`);
      return encodeStandardTarget(verdict);
    }
    case 'jump':
    case 'goto':
      return encodeStandardTarget(0); // patched with the chain's offset by encodeTable
    case 'none':
      return encodeStandardTarget(0); // patched with the next entry's offset by encodeTable
    case 'reject': {
      const value = REJECT_WITH.indexOf(target.with);
      if (value < 0) throw new RangeError(`${where}: unknown REJECT type "${target.with}"`);
      return encodeXtObject({ name: 'REJECT', revision: 0, data: encodeRejectInfo(value) });
    }
    case 'log':
      if (target.prefix.length > 29)
        throw new RangeError(`${where}: LOG prefix longer than 29 characters`);
      return encodeXtObject({
        name: 'LOG',
        revision: 0,
        data: encodeLogInfo({ level: target.level, logflags: target.flags, prefix: target.prefix }),
      });
    case 'raw':
      return encodeXtObject({ name: target.name, revision: target.revision, data: target.data });
  }
}
