/**
 * Packet classification with iptables' semantics for one packet, as a plain result: the
 * table is compiled once (per table object; see `compile.ts`) and walked (`walk.ts`).
 * Pure: it reports which entries matched; the caller updates their counters.
 */
import { formatIpv4, type RejectWith } from '../../abi/index.js';
import type { Table } from '../../model/index.js';
import { Action, type CompiledTable, compileTable } from './compile.js';
import type { NatTranslation } from './nat-targets.js';
import type { Packet } from './packet.js';
import { CANNOT_EVALUATE, type LogEvent, Walker } from './walk.js';

export type { NatTranslation } from './nat-targets.js';
export type { LogEvent } from './walk.js';

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
      /** ACCEPT by a nat target: the translation a new connection gets. */
      nat?: NatTranslation;
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

const VERDICTS = ['DROP', 'ACCEPT', 'QUEUE', 'REJECT'] as const;

const compiled = new WeakMap<Table, CompiledTable>();

/** The compiled form of `table`, compiled on first use. */
export function compiledOf(table: Table): CompiledTable {
  let result = compiled.get(table);
  if (!result) {
    result = compileTable(table);
    compiled.set(table, result);
  }
  return result;
}

/** Classify `packet` arriving at built-in chain `hook` of `table`. */
export function classify(table: Table, hook: string, packet: Packet): Classification {
  return classifyCompiled(compiledOf(table), hook, packet);
}

/** {@link classify} on an already compiled table. */
export function classifyCompiled(
  table: CompiledTable,
  hook: string,
  packet: Packet,
  walker = new Walker(),
): Classification {
  const start = table.byName.get(hook);
  if (!start || start.policy < 0)
    throw new RangeError(`table "${table.name}" has no built-in chain "${hook}"`);
  walker.collectLogs = true;
  const verdict = walker.run(table, start, packet);
  const decidedBy: RulePosition =
    walker.rule === null
      ? { chain: walker.chain.name, policy: true }
      : { chain: walker.chain.name, rule: walker.rule.rule };
  const logs = walker.logs;
  const matchedEntries = positionsOf(table, walker.hits.subarray(0, walker.hitCount));
  if (verdict === CANNOT_EVALUATE) {
    const extension = walker.unknown!;
    return {
      verdict: 'CANNOT_EVALUATE',
      decidedBy,
      extension,
      reason: `${extension.kind} "${extension.name}" is kept but not evaluated by bpfilter`,
      logs,
      matchedEntries,
    };
  }
  const result: Classification = {
    verdict: VERDICTS[verdict as 0 | 1 | 2 | 3],
    decidedBy,
    logs,
    matchedEntries,
  };
  if (verdict === Action.REJECT && walker.rule?.rejectWith)
    result.rejectWith = walker.rule.rejectWith;
  if (walker.rule?.nat !== undefined) result.nat = walker.rule.nat(packet, hook);
  return result;
}

/** Entry indices with the rule (or chain end) each one is. */
function positionsOf(
  table: CompiledTable,
  entries: Int32Array,
): { entry: number; position: RulePosition }[] {
  const out: { entry: number; position: RulePosition }[] = [];
  for (const entry of entries) out.push({ entry, position: positionOf(table, entry) });
  return out;
}

const positions = new WeakMap<CompiledTable, Map<number, RulePosition>>();

/** The rule or chain end at entry index `entry`. */
export function positionOf(table: CompiledTable, entry: number): RulePosition {
  let byEntry = positions.get(table);
  if (!byEntry) {
    byEntry = new Map();
    for (const chain of table.chains) {
      for (const rule of chain.rules)
        byEntry.set(rule.entry, { chain: chain.name, rule: rule.rule });
      byEntry.set(chain.end, { chain: chain.name, policy: true });
    }
    positions.set(table, byEntry);
  }
  const position = byEntry.get(entry);
  if (!position) throw new RangeError(`no rule at entry ${entry}`);
  return { ...position };
}

/** Format a packet's addresses for messages. */
export function describePacket(packet: Packet): string {
  return `${formatIpv4(packet.source)} -> ${formatIpv4(packet.destination)} proto ${packet.protocol}`;
}
