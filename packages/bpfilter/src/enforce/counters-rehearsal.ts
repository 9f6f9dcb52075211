/**
 * The kernel counters' part of a replace, run on a made-up reading for the warm-up
 * (sockopt/warm-up.ts): the counters helper's answer read (readingFromHelper), mapped to
 * entries (countersOf) and added to a GET_ENTRIES answer and to a replace's old counters. The
 * warm-up must not touch the kernel, so without this V8 made machine code of these only during
 * an administrator's first restores, on its compiler threads, beside the replace itself.
 */
import { copyBytes, XT_COUNTERS_SIZE } from '../abi/index.js';
import { addToCounters, addToEntries, countersOf } from './counters.js';
import { readingFromHelper } from './nft-counters.js';
import type { EnforcedPlan } from './table-layout.js';

/**
 * Runs the counters' path for `plan` (a compiled table's) on a reading the helper could have
 * printed for it, adding into copies of `entries` (that table's entry blob) and of a replace's
 * old counters; changes nothing it was given.
 */
export function rehearseCounters(plan: EnforcedPlan, entries: Uint8Array): void {
  const reading = readingFromHelper(helperAnswerFor(plan));
  const counters = countersOf(plan, reading);
  addToEntries(copyBytes(entries), counters);
  addToCounters(new Uint8Array(plan.numEntries * XT_COUNTERS_SIZE), counters);
}

/**
 * An answer of the counters helper for `plan`'s table: each chain's rules up to the last one
 * an entry counts, and every counted element, with the kinds of line a real read has (no
 * counter, zero, a count).
 */
export function helperAnswerFor(plan: EnforcedPlan): string {
  const rules = new Map<string, number>();
  const lines: string[] = [];
  for (const { chain, position, rules: n = 1, element } of plan.counted) {
    if (element !== undefined) {
      lines.push(`e ${hex(element.map)} ${hex(element.comment)} ${counts(lines.length)}`);
      continue;
    }
    rules.set(chain, Math.max(rules.get(chain) ?? 0, position + n));
  }
  const ruleLines = [...rules].flatMap(([chain, count]) => [
    `c ${hex(chain)}`,
    ...Array.from({ length: count }, (_, i) => `r ${counts(i)}`),
  ]);
  return `${[...ruleLines, ...lines].join('\n')}\n`;
}

/** A line's counters: mostly zero, as in a large table, some counted, some without a counter. */
function counts(i: number): string {
  return i % 7 === 3 ? `${i} ${i * 60}` : i % 11 === 5 ? '- -' : '0 0';
}

function hex(name: string): string {
  return name === '' ? '-' : Buffer.from(name, 'utf8').toString('hex');
}
