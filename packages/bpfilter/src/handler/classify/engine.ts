/**
 * Packet classification with iptables' semantics (`ipt_do_table`): rules in order, first
 * terminal match wins; jumps push a return point, gotos do not; RETURN (or the end of a
 * user chain) pops it, or with nothing to pop falls to the hook's policy; LOG records an
 * event and continues, as does a rule without a target (it only counts). Inverted fields,
 * fragments (tcp/udp/icmp never match a non-first fragment), and any extension it cannot
 * evaluate stops it with "cannot evaluate".
 * Pure: it reports which entries matched; the caller updates their counters.
 */
import { formatIpv4, interfaceMaskFor, type RejectWith } from '../../abi/index.js';
import {
  entryLayout,
  parseCidr,
  type ChainEntries,
  type Match,
  type Rule,
  type Table,
} from '../../model/index.js';
import type { Packet } from './packet.js';

/** A LOG target the packet passed. */
export interface LogEvent {
  chain: string;
  /** 1-based rule number. */
  rule: number;
  prefix: string;
  level: number;
  flags: number;
}

/**
 * Where a decision was taken: a rule (1-based), or `policy: true` for the chain's last entry
 * (a built-in chain's policy, a user chain's implicit RETURN).
 */
export interface RulePosition {
  chain: string;
  rule?: number;
  policy?: true;
}

/** The outcome of a classification. */
export type Classification =
  | {
      verdict: 'ACCEPT' | 'DROP' | 'QUEUE' | 'REJECT';
      rejectWith?: RejectWith;
      decidedBy: RulePosition;
      logs: LogEvent[];
      /** Entry indices whose rule matched, in order (a rule may appear more than once). */
      matchedEntries: { entry: number; position: RulePosition }[];
    }
  | {
      verdict: 'CANNOT_EVALUATE';
      /** The rule whose extension could not be evaluated and that extension's name. */
      decidedBy: RulePosition;
      extension: { kind: 'match' | 'target'; name: string };
      reason: string;
      logs: LogEvent[];
      matchedEntries: { entry: number; position: RulePosition }[];
    };

/** Upper bound on rules visited (tables are loop-free; this only guards the engine). */
const MAX_STEPS = 1_000_000;

/** Classify `packet` arriving at built-in chain `hook` of `table`. */
export function classify(table: Table, hook: string, packet: Packet): Classification {
  const { chains, compiled, layout } = indexOf(table);
  const start = chains.get(hook);
  if (!start || start.policy === undefined)
    throw new RangeError(`table "${table.name}" has no built-in chain "${hook}"`);
  const logs: LogEvent[] = [];
  const matchedEntries: { entry: number; position: RulePosition }[] = [];
  const stack: { chain: string; next: number }[] = [];
  let chainName = hook;
  let index = 0;
  const entriesOf = (name: string): ChainEntries => layout.get(name) ?? { rules: [], end: -1 };

  for (let steps = 0; steps < MAX_STEPS; steps++) {
    const chain = chains.get(chainName);
    if (!chain) throw new RangeError(`jump to unknown chain "${chainName}"`);
    if (index >= chain.rules.length) {
      // The chain's last entry: a built-in chain's policy, or a user chain's implicit RETURN.
      if (chain.policy !== undefined) {
        const position: RulePosition = { chain: chain.name, policy: true };
        matchedEntries.push({ entry: entriesOf(chain.name).end, position });
        return { verdict: chain.policy, decidedBy: position, logs, matchedEntries };
      }
      matchedEntries.push({
        entry: entriesOf(chain.name).end,
        position: { chain: chain.name, policy: true },
      });
      const frame = stack.pop();
      if (frame) {
        chainName = frame.chain;
        index = frame.next;
      } else {
        chainName = hook; // reached by goto from the built-in chain: its policy decides
        index = start.rules.length;
      }
      continue;
    }
    const rule = chain.rules[index] as Rule;
    const position: RulePosition = { chain: chain.name, rule: index + 1 };
    if (!ipMatches(rule, compiled.get(chain.name)?.[index] ?? {}, packet)) {
      index++;
      continue;
    }
    let matched = true;
    for (const match of rule.matches ?? []) {
      const result = evaluateMatch(match, packet);
      if (result === 'unknown') {
        const name = match.kind === 'raw' ? match.name : match.kind;
        return {
          verdict: 'CANNOT_EVALUATE',
          decidedBy: position,
          extension: { kind: 'match', name },
          reason: `match "${name}" is kept but not evaluated by bpfilter`,
          logs,
          matchedEntries,
        };
      }
      if (!result) {
        matched = false;
        break;
      }
    }
    if (!matched) {
      index++;
      continue;
    }
    matchedEntries.push({ entry: entriesOf(chain.name).rules[index] ?? -1, position });
    const target = rule.target;
    switch (target.kind) {
      case 'verdict':
        if (target.verdict !== 'RETURN')
          return { verdict: target.verdict, decidedBy: position, logs, matchedEntries };
        {
          const frame = stack.pop();
          if (frame) {
            chainName = frame.chain;
            index = frame.next;
          } else {
            chainName = hook; // RETURN with nothing to return to: the hook's policy
            index = start.rules.length;
          }
        }
        break;
      case 'jump':
        stack.push({ chain: chain.name, next: index + 1 });
        chainName = target.chain;
        index = 0;
        break;
      case 'goto':
        chainName = target.chain;
        index = 0;
        break;
      case 'reject':
        return {
          verdict: 'REJECT',
          rejectWith: target.with,
          decidedBy: position,
          logs,
          matchedEntries,
        };
      case 'log':
        logs.push({
          chain: chain.name,
          rule: index + 1,
          prefix: target.prefix,
          level: target.level,
          flags: target.flags,
        });
        index++;
        break;
      case 'none':
        // A rule without a target only counts (its entry is in matchedEntries): on to the next rule.
        index++;
        break;
      case 'raw':
        return {
          verdict: 'CANNOT_EVALUATE',
          decidedBy: position,
          extension: { kind: 'target', name: target.name },
          reason: `target "${target.name}" is kept but not evaluated by bpfilter`,
          logs,
          matchedEntries,
        };
    }
  }
  throw new RangeError('classification did not terminate');
}

/** Chains by name, their compiled IP parts and entry indices, computed once per table object. */
interface TableIndex {
  chains: Map<string, Table['chains'][number]>;
  compiled: Map<string, CompiledIp[]>;
  layout: Map<string, ChainEntries>;
}
const indexes = new WeakMap<Table, TableIndex>();
function indexOf(table: Table): TableIndex {
  let index = indexes.get(table);
  if (!index) {
    index = {
      chains: new Map(table.chains.map((c) => [c.name, c])),
      compiled: new Map(table.chains.map((c) => [c.name, c.rules.map(compile)])),
      layout: entryLayout(table),
    };
    indexes.set(table, index);
  }
  return index;
}

/** A rule's IP part as numbers, computed once per rule object. */
interface CompiledIp {
  source?: { address: number; mask: number };
  destination?: { address: number; mask: number };
  inInterface?: { name: string; mask: Uint8Array };
  outInterface?: { name: string; mask: Uint8Array };
}
function compile(rule: Rule): CompiledIp {
  const compiled: CompiledIp = {};
  if (rule.source !== undefined) compiled.source = parseCidr(rule.source);
  if (rule.destination !== undefined) compiled.destination = parseCidr(rule.destination);
  if (rule.inInterface !== undefined || rule.inInterfaceMask !== undefined) {
    const name = rule.inInterface ?? '';
    compiled.inInterface = { name, mask: rule.inInterfaceMask ?? interfaceMaskFor(name) };
  }
  if (rule.outInterface !== undefined || rule.outInterfaceMask !== undefined) {
    const name = rule.outInterface ?? '';
    compiled.outInterface = { name, mask: rule.outInterfaceMask ?? interfaceMaskFor(name) };
  }
  return compiled;
}

/** `ip_packet_match`: addresses, interfaces, protocol, fragment, each possibly inverted. */
function ipMatches(rule: Rule, ip: CompiledIp, packet: Packet): boolean {
  const invert = rule.invert ?? {};
  if (ip.source && !addressMatches(ip.source, packet.source, invert.source === true)) return false;
  if (
    ip.destination &&
    !addressMatches(ip.destination, packet.destination, invert.destination === true)
  )
    return false;
  if (
    ip.inInterface &&
    !interfaceMatches(ip.inInterface, packet.inInterface, invert.inInterface === true)
  )
    return false;
  if (
    ip.outInterface &&
    !interfaceMatches(ip.outInterface, packet.outInterface, invert.outInterface === true)
  )
    return false;
  const protocol = rule.protocol ?? 0;
  if (protocol !== 0 && (packet.protocol !== protocol) !== (invert.protocol === true)) return false;
  // -f: only non-first fragments; ! -f: only first fragments and whole packets.
  if (rule.fragment && packet.fragment === (invert.fragment === true)) return false;
  return true;
}

function addressMatches(
  want: { address: number; mask: number },
  address: number,
  inverted: boolean,
): boolean {
  return ((address & want.mask) >>> 0 !== (want.address & want.mask) >>> 0) === inverted;
}

/** `ifname_compare`: the names differ in a byte the mask covers? */
function interfaceMatches(
  want: { name: string; mask: Uint8Array },
  packetName: string,
  inverted: boolean,
): boolean {
  let differs = false;
  for (let i = 0; i < 16; i++) {
    const a = i < want.name.length ? want.name.charCodeAt(i) : 0;
    const b = i < packetName.length ? packetName.charCodeAt(i) : 0;
    if ((a ^ b) & (want.mask[i] ?? 0)) differs = true;
  }
  return differs === inverted;
}

const inRange = (
  range: [number, number] | undefined,
  value: number,
  inverted: boolean | undefined,
) => (range === undefined || (value >= range[0] && value <= range[1])) !== (inverted === true);

/** One match: true, false, or 'unknown' (an extension kept but not understood). */
function evaluateMatch(match: Match, packet: Packet): boolean | 'unknown' {
  switch (match.kind) {
    case 'tcp': {
      if (packet.fragment) return false; // no transport header in a non-first fragment
      const inv = match.invert ?? {};
      if (!inRange(match.sourcePorts, packet.sourcePort, inv.sourcePorts)) return false;
      if (!inRange(match.destinationPorts, packet.destinationPort, inv.destinationPorts))
        return false;
      const flags = match.flags ?? { mask: 0, compare: 0 };
      if (((packet.tcpFlags & flags.mask) === flags.compare) === (inv.flags === true)) return false;
      if (
        match.option !== undefined &&
        match.option !== 0 &&
        packet.tcpOptions.includes(match.option) === (inv.option === true)
      )
        return false;
      return true;
    }
    case 'udp': {
      if (packet.fragment) return false;
      const inv = match.invert ?? {};
      return (
        inRange(match.sourcePorts, packet.sourcePort, inv.sourcePorts) &&
        inRange(match.destinationPorts, packet.destinationPort, inv.destinationPorts)
      );
    }
    case 'icmp': {
      if (packet.fragment) return false;
      const [min, max] = match.code ?? [0, 255];
      const hit =
        match.type === 0xff ||
        (packet.icmpType === match.type && packet.icmpCode >= min && packet.icmpCode <= max);
      return hit !== (match.invert === true);
    }
    case 'raw':
      return 'unknown';
  }
}

/** Format a packet's addresses for messages. */
export function describePacket(packet: Packet): string {
  return `${formatIpv4(packet.source)} -> ${formatIpv4(packet.destination)} proto ${packet.protocol}`;
}
