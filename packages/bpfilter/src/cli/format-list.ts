/** `bpfilter list`: a table as numbered rules per chain, with counters (like `iptables -L -v --line-numbers`, in save syntax). */
import type { Table } from '../model/types.js';
import { formatRule } from '../text/print-save.js';

/** Human-readable listing of a table. */
export function formatList(table: Table): string {
  const lines = [`table ${table.name}`];
  for (const chain of table.chains) {
    const packets = chain.counters?.packets ?? 0n;
    const bytes = chain.counters?.bytes ?? 0n;
    lines.push(
      chain.policy !== undefined
        ? `chain ${chain.name} (policy ${chain.policy} ${packets} packets, ${bytes} bytes)`
        : `chain ${chain.name} (user chain)`,
    );
    chain.rules.forEach((rule, index) => {
      // formatRule's text minus its "-A CHAIN" head: the options as iptables-save prints them
      // (an extension with no text form here as its name, revision and bytes).
      const options = formatRule(chain.name, rule, { opaque: true }).slice(
        `-A ${chain.name} `.length,
      );
      lines.push(
        `  ${String(index + 1).padStart(3)}  [${rule.counters?.packets ?? 0n}:${rule.counters?.bytes ?? 0n}]  ${options}`,
      );
    });
  }
  return `${lines.join('\n')}\n`;
}

/** JSON of a model value: bigints as decimal strings, byte arrays as hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      typeof v === 'bigint'
        ? v.toString()
        : v instanceof Uint8Array
          ? Buffer.from(v).toString('hex')
          : v,
    2,
  );
}
