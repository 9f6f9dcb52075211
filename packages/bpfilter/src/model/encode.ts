/** Table model -> the kernel's entry blob (what SET_REPLACE carries). */
import {
  IPT_F_FRAG,
  IPT_F_GOTO,
  IPT_INV_DSTIP,
  IPT_INV_FRAG,
  IPT_INV_PROTO,
  IPT_INV_SRCIP,
  IPT_INV_VIA_IN,
  IPT_INV_VIA_OUT,
  IPT_ICMP_INV,
  NF_INET_NUMHOOKS,
  REJECT_WITH,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  VERDICT_QUEUE,
  VERDICT_RETURN,
  XT_ERROR_TARGET,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_FLAGS,
  XT_TCP_INV_OPTION,
  XT_TCP_INV_SRCPT,
  XT_UDP_INV_DSTPT,
  XT_UDP_INV_SRCPT,
  assembleEntry,
  concatBytes,
  emptyIptIp,
  encodeErrorTarget,
  encodeIcmp,
  encodeLogInfo,
  encodeRejectInfo,
  encodeReplace,
  encodeStandardTarget,
  encodeTcp,
  encodeUdp,
  encodeXtObject,
  formatIpv4,
  interfaceMaskFor,
  IptEntryOffset,
  XT_OBJECT_HEADER_SIZE,
  readU16,
  writeU32,
  type HookOffsets,
  type TableHeader,
  type XtCounters,
} from '../abi/index.js';
import { parseCidr } from './address.js';
import { hookOf, TABLE_HOOKS } from './tables.js';
import type { Chain, Match, Rule, StandardVerdict, Table, Target } from './types.js';

/** The entry blob and the header fields of an `ipt_replace` for it. */
export interface EncodedTable extends TableHeader {
  name: string;
  entries: Uint8Array;
  /** Counters of every entry, in entry order (for SET_ADD_COUNTERS). */
  counters: XtCounters[];
}

const VERDICTS: Record<StandardVerdict, number> = {
  ACCEPT: VERDICT_ACCEPT,
  DROP: VERDICT_DROP,
  QUEUE: VERDICT_QUEUE,
  RETURN: VERDICT_RETURN,
};
const ZERO = (): XtCounters => ({ packets: 0n, bytes: 0n });

/**
 * Encode a table as iptables (libiptc) lays it out: built-in chains in hook order (rules,
 * then the policy entry), user chains in the given order (ERROR entry naming the chain,
 * rules, an unconditional RETURN), then the final ERROR entry. Throws a RangeError on an
 * unknown table, a missing or misplaced chain, a jump to an unknown chain, or a value that
 * does not fit its field.
 */
export function encodeTable(table: Table): EncodedTable {
  const validHooks = TABLE_HOOKS.get(table.name);
  if (validHooks === undefined) throw new RangeError(`unknown table "${table.name}"`);
  const builtins: Chain[] = [];
  const users: Chain[] = [];
  const seen = new Set<string>();
  for (const chain of table.chains) {
    if (seen.has(chain.name)) throw new RangeError(`chain "${chain.name}" appears twice`);
    seen.add(chain.name);
    const hook = hookOf(chain.name);
    if (hook !== undefined && validHooks & (1 << hook)) builtins.push(chain);
    else {
      if (chain.policy !== undefined)
        throw new RangeError(`user chain "${chain.name}" cannot have a policy`);
      if (chain.name === '' || chain.name.length >= 29 || chain.name === XT_ERROR_TARGET)
        throw new RangeError(`invalid user chain name "${chain.name}"`);
      users.push(chain);
    }
  }
  builtins.sort((a, b) => (hookOf(a.name) ?? 0) - (hookOf(b.name) ?? 0));
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (validHooks & (1 << h) && !builtins.some((c) => hookOf(c.name) === h))
      throw new RangeError(`table "${table.name}" lacks its built-in chain for hook ${h}`);
  }

  // Lay out every entry; jumps are patched once the user chains' offsets are known.
  const parts: Uint8Array[] = [];
  const counters: XtCounters[] = [];
  const jumps: { entry: Uint8Array; chain: string; where: string }[] = [];
  const chainStart = new Map<string, number>();
  const hookEntry: number[] = [0, 0, 0, 0, 0];
  const underflow: number[] = [0, 0, 0, 0, 0];
  let position = 0;
  const push = (entry: Uint8Array, entryCounters: XtCounters | undefined) => {
    parts.push(entry);
    counters.push(entryCounters ?? ZERO());
    position += entry.length;
  };
  const pushRules = (chain: Chain) => {
    chain.rules.forEach((rule, index) => {
      const where = `chain "${chain.name}" rule ${index + 1}`;
      const entry = encodeRule(rule, where);
      if (rule.target.kind === 'jump' || rule.target.kind === 'goto')
        jumps.push({ entry, chain: rule.target.chain, where });
      // No target: libiptc's fall-through, a standard verdict naming the next entry's offset.
      if (rule.target.kind === 'none')
        writeU32(entry, verdictOffset(entry), position + entry.length);
      push(entry, rule.counters);
    });
  };
  for (const chain of builtins) {
    const hook = hookOf(chain.name) ?? 0;
    hookEntry[hook] = position;
    pushRules(chain);
    underflow[hook] = position;
    const policy = chain.policy ?? 'ACCEPT';
    if (policy !== 'ACCEPT' && policy !== 'DROP')
      throw new RangeError(`chain "${chain.name}": policy must be ACCEPT or DROP`);
    push(
      assembleEntry({ ip: emptyIptIp() }, [], encodeStandardTarget(VERDICTS[policy])),
      chain.counters,
    );
  }
  for (const chain of users) {
    push(assembleEntry({ ip: emptyIptIp() }, [], encodeErrorTarget(chain.name)), undefined);
    chainStart.set(chain.name, position);
    pushRules(chain);
    push(
      assembleEntry({ ip: emptyIptIp() }, [], encodeStandardTarget(VERDICT_RETURN)),
      chain.counters,
    );
  }
  push(assembleEntry({ ip: emptyIptIp() }, [], encodeErrorTarget(XT_ERROR_TARGET)), undefined);
  for (const jump of jumps) {
    const start = chainStart.get(jump.chain);
    if (start === undefined)
      throw new RangeError(`${jump.where}: jump to unknown user chain "${jump.chain}"`);
    writeU32(jump.entry, verdictOffset(jump.entry), start);
  }

  const entries = concatBytes(parts);
  return {
    name: table.name,
    validHooks,
    hookEntry: hookEntry as HookOffsets,
    underflow: underflow as HookOffsets,
    numEntries: parts.length,
    size: entries.length,
    entries,
    counters,
  };
}

/**
 * The `ipt_replace` request for a table (header + entries); `numCounters` is the entry count
 * of the table being replaced (GET_INFO's `num_entries`).
 */
export function encodeReplaceRequest(table: Table, numCounters: number): Uint8Array {
  const encoded = encodeTable(table);
  return encodeReplace({ ...encoded, numCounters, countersPointer: 0n });
}

/** Where the verdict of an entry's standard target sits. */
function verdictOffset(entry: Uint8Array): number {
  return readU16(entry, IptEntryOffset.targetOffset) + XT_OBJECT_HEADER_SIZE;
}

function encodeRule(rule: Rule, where: string): Uint8Array {
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
  ip.invflags =
    (invert.inInterface ? IPT_INV_VIA_IN : 0) |
    (invert.outInterface ? IPT_INV_VIA_OUT : 0) |
    (invert.source ? IPT_INV_SRCIP : 0) |
    (invert.destination ? IPT_INV_DSTIP : 0) |
    (invert.fragment ? IPT_INV_FRAG : 0) |
    (invert.protocol ? IPT_INV_PROTO : 0);
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
