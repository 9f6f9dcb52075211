/** `bpfilter classify` output: the verdict, what decided it, LOG events and counters. */
import type { BatchResult } from '../api/batch-codec.js';
import type { ClassifyResult, NatTranslation, RulePosition } from '../api/classify-types.js';

function where(position: RulePosition): string {
  return position.rule !== undefined
    ? `${position.chain} rule ${position.rule}`
    : `${position.chain} policy`;
}

/** `DNAT destination -> 10.0.0.5:8080`; ranges as `A-B`, an interface's address as `address of eth0`. */
function formatNat(nat: NatTranslation): string {
  const address =
    nat.address ??
    (nat.addressRange ? nat.addressRange.join('-') : `the address of ${nat.interface}`);
  const port =
    nat.port !== undefined ? `:${nat.port}` : nat.portRange ? `:${nat.portRange.join('-')}` : '';
  const flags = nat.flags ? ` (${nat.flags.join(', ')})` : '';
  return `${nat.target} ${nat.rewrites} -> ${address}${port}${flags}`;
}

/** Human-readable classification. */
export function formatClassification(table: string, result: ClassifyResult): string {
  const lines = [
    `verdict: ${result.verdict}${result.rejectWith ? ` (--reject-with ${result.rejectWith})` : ''}`,
  ];
  lines.push(
    `${result.verdict === 'CANNOT_EVALUATE' ? 'stopped at' : 'decided by'}: ${table} ${where(result.rule)}`,
  );
  if (result.nat) lines.push(`nat: ${formatNat(result.nat)}`);
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
