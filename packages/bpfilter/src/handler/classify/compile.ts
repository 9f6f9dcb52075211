/**
 * A table compiled for classification, once per SET_REPLACE: chains by index, each rule's IP
 * part as numbers, its matches as closures, its target as an action code, and per chain a
 * lookup (see `rule-index.ts`) that skips the rules a packet cannot match.
 */
import type { RejectWith } from '../../abi/index.js';
import { entryLayout, parseCidr, type Rule, type Table } from '../../model/index.js';
import { compileTarget } from './extension-targets.js';
import { type CompiledMatch, compileMatch } from './matches.js';
import type { NatEvaluator } from './nat-targets.js';
import type { Packet } from './packet.js';
import { interfaceTest, interfaceWordsOf } from './interface-tests.js';
import { buildScan, type InterfaceWords, type Scan } from './ip-scan.js';
import { buildLookup, type Lookup } from './rule-index.js';

/** What a rule does when it matches. */
export const Action = {
  DROP: 0,
  ACCEPT: 1,
  QUEUE: 2,
  REJECT: 3,
  RETURN: 5,
  JUMP: 6,
  GOTO: 7,
  /** LOG, a rule without a target, or a target that changes the packet and continues. */
  CONTINUE: 8,
  /** A target bpfilter keeps but does not evaluate. */
  UNKNOWN: 10,
} as const;

/** One rule, ready to test. */
export interface CompiledRule {
  /** 1-based position in its chain. */
  readonly rule: number;
  /** Entry index in the table (counters are per entry). */
  readonly entry: number;
  /** Source/destination test: `(address & mask) === addr`, xor the inversion. */
  readonly srcMask: number;
  readonly srcAddr: number;
  readonly srcInv: boolean;
  readonly dstMask: number;
  readonly dstAddr: number;
  readonly dstInv: boolean;
  /** 0: any protocol. */
  readonly proto: number;
  readonly protoInv: boolean;
  /** 0: any; 1: only non-first fragments (`-f`); 2: only first fragments and whole packets (`! -f`). */
  readonly frag: number;
  readonly inIf: ((name: string) => boolean) | null;
  readonly outIf: ((name: string) => boolean) | null;
  /** The one interface name the rule requires (`-i eth0`, not inverted), for the lookup. */
  readonly inName: string | null;
  readonly outName: string | null;
  /** The interface tests as words, for the generated scan (`ip-scan.ts`). */
  readonly inWords: InterfaceWords | null;
  readonly outWords: InterfaceWords | null;
  readonly matches: readonly CompiledMatch[];
  readonly action: number;
  /** JUMP/GOTO: index of the target chain. */
  readonly jump: number;
  readonly rejectWith: RejectWith | undefined;
  /** LOG: what to report. */
  readonly log: { prefix: string; level: number; flags: number } | undefined;
  /** CONTINUE targets that change the packet (MARK, CONNMARK). */
  readonly effect: ((packet: Packet) => void) | undefined;
  /** ACCEPT by a nat target: the translation it gives. */
  readonly nat: NatEvaluator | undefined;
  /** The target's name (for CANNOT_EVALUATE). */
  readonly targetName: string;
  /** Destination/source ports the rule requires (a tcp/udp/multiport match), for the lookup. */
  readonly dports: readonly number[] | null;
  readonly sports: readonly number[] | null;
  /** `--tcp-flags mask compare` the rule requires (not inverted; mask 0: none), for the lookup. */
  readonly tcpFlagsMask: number;
  readonly tcpFlagsCompare: number;
}

/** One chain. */
export interface CompiledChain {
  readonly name: string;
  readonly index: number;
  /** Built-in chains: Action.ACCEPT or Action.DROP; user chains: -1. */
  readonly policy: number;
  /** Entry index of the chain's last entry (policy or implicit RETURN). */
  readonly end: number;
  readonly rules: readonly CompiledRule[];
  /** Candidate rule indices (sorted) for a packet, or null: every rule is a candidate. */
  readonly lookup: Lookup | null;
  /** Without a lookup: the next rule whose IP part matches, in generated code (or null). */
  readonly scan: Scan | null;
}

/** A compiled table. */
export interface CompiledTable {
  readonly name: string;
  readonly chains: readonly CompiledChain[];
  readonly byName: ReadonlyMap<string, CompiledChain>;
  /** Entries in the table (rules, chain heads and ends, the final ERROR entry). */
  readonly entryCount: number;
}

/** Options of {@link compileTable}. */
export interface CompileOptions {
  /** Build per-chain lookups (default true); false walks every rule (the reference for tests). */
  index?: boolean;
  /** Generate the IP tests of chains without a lookup (default true); false: closures (tests). */
  scan?: boolean;
}

/** Ports of a range, when it is narrow enough to index port by port. */
const MAX_INDEXED_RANGE = 64;

/** Compiles `table`. Throws RangeError for a jump to a chain the table does not have. */
export function compileTable(table: Table, options: CompileOptions = {}): CompiledTable {
  const layout = entryLayout(table);
  const chainIndex = new Map(table.chains.map((c, i) => [c.name, i]));
  const chains = table.chains.map((chain, index): CompiledChain => {
    const entries = layout.get(chain.name) ?? { rules: [], end: -1 };
    const rules = chain.rules.map((rule, i) =>
      compileRule(rule, i + 1, entries.rules[i] ?? -1, chainIndex),
    );
    const lookup = options.index === false ? null : buildLookup(rules);
    return {
      name: chain.name,
      index,
      policy: chain.policy === undefined ? -1 : Action[chain.policy],
      end: entries.end,
      rules,
      lookup,
      scan: lookup === null && options.scan !== false ? buildScan(rules) : null,
    };
  });
  return {
    name: table.name,
    chains,
    byName: new Map(chains.map((c) => [c.name, c])),
    // The last chain's end is followed by the table's closing ERROR entry.
    entryCount: Math.max(0, ...chains.map((c) => c.end)) + 2,
  };
}

function compileRule(
  rule: Rule,
  position: number,
  entry: number,
  chainIndex: ReadonlyMap<string, number>,
): CompiledRule {
  const invert = rule.invert ?? {};
  const src = rule.source !== undefined ? parseCidr(rule.source) : { address: 0, mask: 0 };
  const dst =
    rule.destination !== undefined ? parseCidr(rule.destination) : { address: 0, mask: 0 };
  const matches = (rule.matches ?? []).map(compileMatch);
  const target = rule.target;
  let action: number;
  let jump = -1;
  // Every rule gets every field, in one order: one hidden class for the walk's property loads.
  let extra: Pick<CompiledRule, 'rejectWith' | 'log' | 'effect' | 'nat'> = {
    rejectWith: undefined,
    log: undefined,
    effect: undefined,
    nat: undefined,
  };
  let targetName = '';
  switch (target.kind) {
    case 'verdict':
      action = Action[target.verdict];
      break;
    case 'jump':
    case 'goto': {
      const index = chainIndex.get(target.chain);
      if (index === undefined) throw new RangeError(`jump to unknown chain "${target.chain}"`);
      action = target.kind === 'jump' ? Action.JUMP : Action.GOTO;
      jump = index;
      break;
    }
    case 'reject':
      action = Action.REJECT;
      extra = { ...extra, rejectWith: target.with };
      break;
    case 'log':
      action = Action.CONTINUE;
      extra = {
        ...extra,
        log: { prefix: target.prefix, level: target.level, flags: target.flags },
      };
      break;
    case 'none':
      action = Action.CONTINUE;
      break;
    case 'raw': {
      targetName = target.name;
      const compiled = compileTarget(target.name, target.revision, target.data);
      if (compiled === undefined) action = Action.UNKNOWN;
      else if (compiled.kind === 'verdict') action = Action[compiled.verdict];
      else if (compiled.kind === 'nat') {
        action = Action.ACCEPT;
        extra = { ...extra, nat: compiled.nat };
      } else {
        action = Action.CONTINUE;
        extra = { ...extra, effect: compiled.effect };
      }
      break;
    }
  }
  const ports = portsOf(rule);
  const flags = tcpFlagsOf(rule);
  const inIf = interfaceTest(rule.inInterface, rule.inInterfaceMask, invert.inInterface === true);
  const outIf = interfaceTest(
    rule.outInterface,
    rule.outInterfaceMask,
    invert.outInterface === true,
  );
  return {
    rule: position,
    entry,
    srcMask: src.mask | 0,
    srcAddr: (src.address & src.mask) | 0,
    srcInv: invert.source === true,
    dstMask: dst.mask | 0,
    dstAddr: (dst.address & dst.mask) | 0,
    dstInv: invert.destination === true,
    proto: rule.protocol ?? 0,
    protoInv: invert.protocol === true,
    frag: rule.fragment ? (invert.fragment ? 2 : 1) : 0,
    inIf: inIf.test,
    outIf: outIf.test,
    inName: inIf.exact,
    outName: outIf.exact,
    inWords: interfaceWordsOf(rule.inInterface, rule.inInterfaceMask, invert.inInterface === true),
    outWords: interfaceWordsOf(
      rule.outInterface,
      rule.outInterfaceMask,
      invert.outInterface === true,
    ),
    matches,
    action,
    jump,
    rejectWith: extra.rejectWith,
    log: extra.log,
    effect: extra.effect,
    nat: extra.nat,
    targetName,
    dports: ports.dports,
    sports: ports.sports,
    tcpFlagsMask: flags.mask,
    tcpFlagsCompare: flags.compare,
  };
}

/** The ports a rule's tcp/udp match requires (not inverted, narrow enough), for the lookup. */
function portsOf(rule: Rule): { dports: number[] | null; sports: number[] | null } {
  let dports: number[] | null = null;
  let sports: number[] | null = null;
  const expand = (range: [number, number] | undefined, inverted: boolean | undefined) =>
    range !== undefined && !inverted && range[1] - range[0] < MAX_INDEXED_RANGE
      ? Array.from({ length: range[1] - range[0] + 1 }, (_, k) => range[0] + k)
      : null;
  for (const match of rule.matches ?? []) {
    if (match.kind !== 'tcp' && match.kind !== 'udp') continue;
    dports ??= expand(match.destinationPorts, match.invert?.destinationPorts);
    sports ??= expand(match.sourcePorts, match.invert?.sourcePorts);
  }
  return { dports, sports };
}

/** The `--tcp-flags` a rule's tcp match requires (not inverted), for the lookup. */
function tcpFlagsOf(rule: Rule): { mask: number; compare: number } {
  for (const match of rule.matches ?? []) {
    if (match.kind !== 'tcp' || match.flags === undefined || match.invert?.flags) continue;
    if (match.flags.mask !== 0) return { mask: match.flags.mask, compare: match.flags.compare };
  }
  return { mask: 0, compare: 0 };
}
