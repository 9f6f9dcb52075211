/** The kernel's entry blob (GET_ENTRIES or SET_REPLACE) -> table model. */
import {
  HOOK_NAMES,
  IPT_ENTRY_SIZE,
  IPT_F_FRAG,
  IPT_F_GOTO,
  IPT_ICMP_INV,
  IPT_ICMP_SIZE,
  IPT_INV_DSTIP,
  IPT_INV_FRAG,
  IPT_INV_PROTO,
  IPT_INV_SRCIP,
  IPT_INV_VIA_IN,
  IPT_INV_VIA_OUT,
  IPT_LOG_INFO_SIZE,
  IPT_REJECT_INFO_SIZE,
  NF_INET_NUMHOOKS,
  REJECT_WITH,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  VERDICT_QUEUE,
  VERDICT_RETURN,
  XT_ERROR_TARGET,
  XT_OBJECT_HEADER_SIZE,
  XT_STANDARD_TARGET,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_FLAGS,
  XT_TCP_INV_OPTION,
  XT_TCP_INV_SRCPT,
  XT_TCP_SIZE,
  XT_UDP_INV_DSTPT,
  XT_UDP_INV_SRCPT,
  XT_UDP_SIZE,
  decodeEntryHeader,
  decodeIcmp,
  decodeLogInfo,
  decodeRejectInfo,
  decodeTcp,
  decodeUdp,
  decodeXtHeader,
  interfaceMaskFor,
  parseIpv4,
  readErrorName,
  readI32,
  xtAlign,
  type TableHeader,
  type IptEntryHeader,
  type XtObject,
} from '../abi/index.js';
import { formatCidr } from './address.js';
import { isAnyIcmpCode, isAnyPort } from './canonical.js';
import type {
  Chain,
  Counters,
  IpInversions,
  Match,
  Policy,
  Rule,
  StandardVerdict,
  Table,
  Target,
} from './types.js';

/** What decoding needs besides the entries: GET_INFO's (or the replace header's) hook data. */
export type TableLayout = Pick<TableHeader, 'validHooks' | 'hookEntry' | 'underflow'>;

/** One parsed entry. */
interface RawEntry {
  offset: number;
  header: IptEntryHeader;
  matches: XtObject[];
  target: XtObject;
}

/**
 * Decode a table laid out as iptables builds it (built-in chains from each hook entry to its
 * underflow, user chains headed by ERROR entries and ended by a RETURN, a final ERROR entry;
 * the handler refuses anything else). Counters come from the entries. Throws a RangeError
 * on a blob that does not have this shape.
 */
export function decodeTable(name: string, layout: TableLayout, entries: Uint8Array): Table {
  const raw = parseEntries(entries);
  const indexAt = new Map(raw.map((e, i) => [e.offset, i]));
  const chains: Chain[] = [];
  let next = 0;
  const builtinRanges: { name: string; from: number; policy: number }[] = [];
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(layout.validHooks & (1 << h))) continue;
    const from = indexAt.get(layout.hookEntry[h] ?? -1);
    const policy = indexAt.get(layout.underflow[h] ?? -1);
    if (from === undefined || policy === undefined || policy < from)
      throw new RangeError(`hook ${h}: hook entry/underflow not on entries`);
    builtinRanges.push({ name: HOOK_NAMES[h] ?? '', from, policy });
    next = Math.max(next, policy + 1);
  }
  // User chains: ERROR head, rules, RETURN tail; the last entry is the final ERROR.
  const userRanges: { name: string; head: number; tail: number }[] = [];
  const chainAtOffset = new Map<number, string>();
  let i = next;
  while (i < raw.length - 1) {
    const head = raw[i];
    if (!head || head.target.name !== XT_ERROR_TARGET)
      throw new RangeError(`entry ${i}: expected the ERROR entry of a user chain`);
    const chainName = readErrorName(entries, head.offset + head.header.targetOffset);
    let j = i + 1;
    while (j < raw.length - 1 && raw[j]?.target.name !== XT_ERROR_TARGET) j++;
    if (j - 1 <= i) throw new RangeError(`user chain "${chainName}" has no RETURN entry`);
    userRanges.push({ name: chainName, head: i, tail: j - 1 });
    chainAtOffset.set(raw[i + 1]?.offset ?? -1, chainName);
    i = j;
  }

  const toRule = (entry: RawEntry, index: number) =>
    decodeRule(entry, chainAtOffset, `entry ${index}`);
  for (const range of builtinRanges) {
    const policyEntry = raw[range.policy];
    if (!policyEntry) throw new RangeError(`chain ${range.name}: no policy entry`);
    chains.push({
      name: range.name,
      policy: policyOf(policyEntry, range.name),
      counters: countersOf(policyEntry.header),
      rules: raw.slice(range.from, range.policy).map((e, k) => toRule(e, range.from + k)),
    });
  }
  for (const range of userRanges) {
    const tail = raw[range.tail];
    chains.push({
      name: range.name,
      counters: tail ? countersOf(tail.header) : { packets: 0n, bytes: 0n },
      rules: raw.slice(range.head + 1, range.tail).map((e, k) => toRule(e, range.head + 1 + k)),
    });
  }
  return { name, chains };
}

/** Split an entry blob into entries (sizes trusted only as far as they stay in bounds). */
function parseEntries(entries: Uint8Array): RawEntry[] {
  const out: RawEntry[] = [];
  let offset = 0;
  while (offset < entries.length) {
    if (offset + IPT_ENTRY_SIZE > entries.length)
      throw new RangeError(`entry at ${offset}: truncated`);
    // Masks as views into `entries`: decoding a large table allocates no buffer per field; decodeInterface copies what it keeps.
    const header = decodeEntryHeader(entries, offset, { views: true });
    if (
      header.nextOffset < IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE ||
      offset + header.nextOffset > entries.length ||
      header.targetOffset > header.nextOffset - XT_OBJECT_HEADER_SIZE
    ) {
      throw new RangeError(`entry at ${offset}: bad offsets`);
    }
    const matches: XtObject[] = [];
    let pos = offset + IPT_ENTRY_SIZE;
    while (pos < offset + header.targetOffset) {
      const match = readObject(entries, pos);
      if (match.size < XT_OBJECT_HEADER_SIZE)
        throw new RangeError(`entry at ${offset}: bad match size`);
      matches.push(match);
      pos += match.size;
    }
    out.push({
      offset,
      header,
      matches,
      target: readObject(entries, offset + header.targetOffset),
    });
    offset += header.nextOffset;
  }
  return out;
}

/** A match or target with its data as a view into `entries` (copied only when kept raw). */
function readObject(entries: Uint8Array, offset: number): XtObject & { size: number } {
  // Field by field: a spread of the header here made decoding a large table several times slower.
  const { size, name, revision } = decodeXtHeader(entries, offset);
  const data = entries.subarray(
    offset + XT_OBJECT_HEADER_SIZE,
    offset + Math.max(size, XT_OBJECT_HEADER_SIZE),
  );
  return { size, name, revision, data };
}

function countersOf(header: IptEntryHeader): Counters {
  return { packets: header.packets, bytes: header.bytes };
}

function verdictOf(target: XtObject): number {
  return readI32(target.data, 0);
}

function policyOf(entry: RawEntry, chain: string): Policy {
  const verdict = entry.target.name === XT_STANDARD_TARGET ? verdictOf(entry.target) : undefined;
  if (verdict === VERDICT_ACCEPT) return 'ACCEPT';
  if (verdict === VERDICT_DROP) return 'DROP';
  throw new RangeError(`chain ${chain}: the policy entry is not ACCEPT or DROP`);
}

const STANDARD_VERDICTS = new Map<number, StandardVerdict>([
  [VERDICT_ACCEPT, 'ACCEPT'],
  [VERDICT_DROP, 'DROP'],
  [VERDICT_QUEUE, 'QUEUE'],
  [VERDICT_RETURN, 'RETURN'],
]);

function decodeRule(entry: RawEntry, chainAtOffset: Map<number, string>, where: string): Rule {
  const { ip } = entry.header;
  const rule: Rule = { target: decodeTarget(entry, chainAtOffset, where) };
  const inv = ip.invflags;
  const invert: IpInversions = {};
  if (inv & IPT_INV_SRCIP) invert.source = true;
  if (inv & IPT_INV_DSTIP) invert.destination = true;
  if (inv & IPT_INV_VIA_IN) invert.inInterface = true;
  if (inv & IPT_INV_VIA_OUT) invert.outInterface = true;
  if (inv & IPT_INV_PROTO) invert.protocol = true;
  if (inv & IPT_INV_FRAG) invert.fragment = true;

  if (ip.srcMask !== '0.0.0.0' || ip.src !== '0.0.0.0' || invert.source)
    rule.source = formatCidr(parseIpv4(ip.src), parseIpv4(ip.srcMask));
  if (ip.dstMask !== '0.0.0.0' || ip.dst !== '0.0.0.0' || invert.destination)
    rule.destination = formatCidr(parseIpv4(ip.dst), parseIpv4(ip.dstMask));
  decodeInterface(rule, 'in', ip.inIface, ip.inIfaceMask, invert.inInterface);
  decodeInterface(rule, 'out', ip.outIface, ip.outIfaceMask, invert.outInterface);
  if (ip.proto !== 0 || invert.protocol) rule.protocol = ip.proto;
  if (ip.flags & IPT_F_FRAG) rule.fragment = true;
  if (Object.keys(invert).length > 0) rule.invert = invert;
  if (entry.matches.length > 0) rule.matches = entry.matches.map(decodeMatch);
  rule.counters = countersOf(entry.header);
  return rule;
}

function decodeInterface(
  rule: Rule,
  which: 'in' | 'out',
  name: string,
  mask: Uint8Array,
  inverted: boolean | undefined,
): void {
  const hasMask = mask.some((b) => b !== 0);
  if (name === '' && !hasMask && !inverted) return;
  const canonical = interfaceMaskFor(name);
  const differs = canonical.some((b, i) => b !== mask[i]);
  if (which === 'in') {
    rule.inInterface = name;
    if (differs) rule.inInterfaceMask = mask.slice();
  } else {
    rule.outInterface = name;
    if (differs) rule.outInterfaceMask = mask.slice();
  }
}

function decodeMatch(object: XtObject): Match {
  const size = object.data.length;
  if (object.name === 'tcp' && object.revision === 0 && size === xtAlign(XT_TCP_SIZE)) {
    const tcp = decodeTcp(object.data);
    const invert = {
      ...(tcp.invflags & XT_TCP_INV_SRCPT ? { sourcePorts: true } : {}),
      ...(tcp.invflags & XT_TCP_INV_DSTPT ? { destinationPorts: true } : {}),
      ...(tcp.invflags & XT_TCP_INV_FLAGS ? { flags: true } : {}),
      ...(tcp.invflags & XT_TCP_INV_OPTION ? { option: true } : {}),
    };
    return {
      kind: 'tcp',
      ...(!isAnyPort(tcp.sourcePorts) || invert.sourcePorts
        ? { sourcePorts: tcp.sourcePorts }
        : {}),
      ...(!isAnyPort(tcp.destinationPorts) || invert.destinationPorts
        ? { destinationPorts: tcp.destinationPorts }
        : {}),
      ...(tcp.flagsMask !== 0 || tcp.flagsCompare !== 0 || invert.flags
        ? { flags: { mask: tcp.flagsMask, compare: tcp.flagsCompare } }
        : {}),
      ...(tcp.option !== 0 || invert.option ? { option: tcp.option } : {}),
      ...(Object.keys(invert).length > 0 ? { invert } : {}),
    };
  }
  if (object.name === 'udp' && object.revision === 0 && size === xtAlign(XT_UDP_SIZE)) {
    const udp = decodeUdp(object.data);
    const invert = {
      ...(udp.invflags & XT_UDP_INV_SRCPT ? { sourcePorts: true } : {}),
      ...(udp.invflags & XT_UDP_INV_DSTPT ? { destinationPorts: true } : {}),
    };
    return {
      kind: 'udp',
      ...(!isAnyPort(udp.sourcePorts) || invert.sourcePorts
        ? { sourcePorts: udp.sourcePorts }
        : {}),
      ...(!isAnyPort(udp.destinationPorts) || invert.destinationPorts
        ? { destinationPorts: udp.destinationPorts }
        : {}),
      ...(Object.keys(invert).length > 0 ? { invert } : {}),
    };
  }
  if (object.name === 'icmp' && object.revision === 0 && size === xtAlign(IPT_ICMP_SIZE)) {
    const icmp = decodeIcmp(object.data);
    return {
      kind: 'icmp',
      type: icmp.type,
      ...(!isAnyIcmpCode([icmp.codeMin, icmp.codeMax])
        ? { code: [icmp.codeMin, icmp.codeMax] as [number, number] }
        : {}),
      ...(icmp.invflags & IPT_ICMP_INV ? { invert: true } : {}),
    };
  }
  return { kind: 'raw', name: object.name, revision: object.revision, data: object.data.slice() };
}

function decodeTarget(entry: RawEntry, chainAtOffset: Map<number, string>, where: string): Target {
  const { target } = entry;
  const size = target.data.length;
  if (target.name === XT_STANDARD_TARGET && size >= 4) {
    const verdict = verdictOf(target);
    // libiptc's fall-through (a rule without -j): a jump to the very next entry.
    if (verdict === entry.offset + entry.header.nextOffset) {
      if (entry.header.ip.flags & IPT_F_GOTO)
        throw new RangeError(`${where}: a goto to the next entry (libiptc never builds one)`);
      return { kind: 'none' };
    }
    if (verdict >= 0) {
      const chain = chainAtOffset.get(verdict);
      if (chain === undefined)
        throw new RangeError(`${where}: jump to offset ${verdict}, not the start of a user chain`);
      return { kind: entry.header.ip.flags & IPT_F_GOTO ? 'goto' : 'jump', chain };
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
  return { kind: 'raw', name: target.name, revision: target.revision, data: target.data.slice() };
}
