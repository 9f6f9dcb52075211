/** `bpfilter classify` output: the verdict, what decided it, LOG events and counters. */
import type { BatchResult } from '../api/batch-codec.js';
import type { ClassifyResult, RulePosition } from '../api/classify-types.js';

function where(position: RulePosition): string {
  return position.rule !== undefined
    ? `${position.chain} rule ${position.rule}`
    : `${position.chain} policy`;
}

/** Human-readable classification. */
export function formatClassification(table: string, result: ClassifyResult): string {
  const lines = [
    `verdict: ${result.verdict}${result.rejectWith ? ` (--reject-with ${result.rejectWith})` : ''}`,
  ];
  lines.push(
    `${result.verdict === 'CANNOT_EVALUATE' ? 'stopped at' : 'decided by'}: ${table} ${where(result.rule)}`,
  );
  if (result.cannotEvaluate)
    lines.push(
      `cannot evaluate: ${result.cannotEvaluate.kind} "${result.cannotEvaluate.name}": ${result.cannotEvaluate.reason}`,
    );
  for (const log of result.logs)
    lines.push(
      `LOG: ${log.chain} rule ${log.rule} level ${log.level} prefix ${JSON.stringify(log.prefix)}`,
    );
  for (const counter of result.counters)
    lines.push(`counter: ${where(counter)} now ${counter.packets} packets, ${counter.bytes} bytes`);
  return `${lines.join('\n')}\n`;
}

/** `classify --batch` output: one line per packet, `N VERDICT chain rule|policy`. */
export function formatBatch(results: readonly BatchResult[]): string {
  return results
    .map(
      (r, n) => `${n + 1} ${r.verdict}${r.rejectWith ? ` ${r.rejectWith}` : ''} ${where(r.rule)}\n`,
    )
    .join('');
}
