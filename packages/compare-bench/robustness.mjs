// What each library does when a job throws, exits, hangs, eats memory or segfaults: every case
// runs in a host process of its own, and the table says what the caller got (and after how long),
// whether the next request was served, and whether the host survived. Heap capped at 64 MiB where
// the library can cap it; calls have a 2 s timeout where the library has one.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { contenders } from './contenders.mjs';

const kinds = ['throw', 'exit', 'hang', 'memory', 'segfault'];
// node robustness.mjs [substring]: only the contenders whose name contains it.
const only = process.argv[2] ?? '';
const names = contenders
  .map((c) => c.name)
  .filter((n) => !n.includes('maxInFlight') && n.includes(only));

function run(name, kind) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(import.meta.dirname, 'robust-case.mjs'), name, kind],
      { timeout: 40_000 },
      (error, stdout) => {
        const line = stdout.trim().split('\n').pop();
        if (line?.startsWith('{')) resolve(JSON.parse(line));
        else
          resolve({
            host: error?.signal ? `host killed by ${error.signal}` : `host exited (${error?.code})`,
          });
      },
    );
  });
}

const cell = (r) =>
  r.host
    ? `**${r.host}**`
    : `${r.fault.outcome} (${r.fault.ms} ms); next: ${r.next.outcome === 'reply' ? 'served' : r.next.outcome}`;
const rows = [];
for (const name of names) {
  const cells = [];
  for (const kind of kinds) {
    const result = await run(name, kind);
    process.stderr.write(`${name} ${kind}: ${cell(result)}\n`);
    cells.push(cell(result).replaceAll('|', '\\|'));
  }
  rows.push(`| ${name} | ${cells.join(' | ')} |`);
}
console.log(
  `| | ${kinds.join(' | ')} |\n|---|${kinds.map(() => '---').join('|')}|\n${rows.join('\n')}`,
);
