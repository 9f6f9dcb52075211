// pnpm bench (in this package): umd against the libraries a Node user would pick instead, on
// the same jobs (echo, JSON parse) at 64 B to 1 MiB, serial latency and 16-caller throughput,
// every ratio against "umd defaults" measured in the same run. All contenders run side by side
// and are measured in turns, in a new shuffled order each round; each figure is the median of
// the rounds, so a load that changes during the run touches every contender alike.
// Options: --budget-ms N (time per measurement, 300), --rounds N (3), --sizes a,b,c (bytes),
// --only <substrings of contender names, comma-separated>, --ops echo,parse, --json <file>,
// --control <substring of a contender name>: a second copy of that contender, measured like the
// others, so that the table shows how far one run's ratios move between two identical contenders.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { contenders, cores } from './contenders.mjs';
import { payloadText } from './payload.mjs';

const { values } = parseArgs({
  options: {
    'budget-ms': { type: 'string', default: '300' },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    ops: { type: 'string', default: 'echo,parse' },
    json: { type: 'string' },
    control: { type: 'string' },
    sizes: { type: 'string', default: '64,4096,65536,1048576' },
  },
});
const budgetMs = Number(values['budget-ms']);
const rounds = Number(values.rounds);
const sizes = values.sizes.split(',').map(Number);
const CALLERS = 16;
const encoder = new TextEncoder();

async function serial(call, payload) {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < budgetMs || n < 5) {
    await call(payload);
    n++;
  }
  return ((performance.now() - t0) * 1000) / n; // µs per request
}

async function throughput(call, payload) {
  let n = 0;
  const t0 = performance.now();
  const caller = async () => {
    while (performance.now() - t0 < budgetMs || n < CALLERS) {
      await call(payload);
      n++;
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, caller));
  return n / ((performance.now() - t0) / 1000); // requests per second
}

const only = values.only?.split(',');
const selected = contenders.filter(
  (c) => !only || only.some((part) => c.name.includes(part)) || c.name === 'umd defaults',
);
if (values.control) {
  const twin = selected.find((c) => c.name.includes(values.control));
  if (!twin) throw new Error(`--control: no contender named like "${values.control}"`);
  selected.push({ ...twin, name: `${twin.name} (control)` });
}
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
// A seeded shuffle: every run measures in the same orders, each round in a different one.
let seed = 0x2f6b;
const random = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x80000000;
};
const shuffled = (xs) => {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
};

const results = {}; // results[op][size][contender] = { latencyUs, perSec }
for (const op of values.ops.split(',')) {
  results[op] = {};
  const running = [];
  for (const contender of selected) running.push({ contender, link: await contender.start(op) });
  for (const size of sizes) {
    const text = payloadText(op, size);
    const samples = new Map(running.map((r) => [r, { latencyUs: [], perSec: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const r of shuffled(running)) {
        const payload = r.contender.bytes ? encoder.encode(text) : text;
        // Warm up: every worker or instance started and JIT-compiled for this size.
        await Promise.all(Array.from({ length: CALLERS * 2 }, () => r.link.call(payload)));
        samples.get(r).latencyUs.push(await serial(r.link.call, payload));
        samples.get(r).perSec.push(await throughput(r.link.call, payload));
      }
    }
    results[op][size] = {};
    for (const [r, s] of samples) {
      const row = { latencyUs: median(s.latencyUs), perSec: median(s.perSec) };
      results[op][size][r.contender.name] = row;
      process.stderr.write(
        `${op} ${size} B ${r.contender.name}: ${row.latencyUs.toFixed(1)} µs, ${row.perSec.toFixed(0)}/s\n`,
      );
    }
  }
  for (const r of running) await r.link.close();
}

const label = (size) =>
  size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
const jobName = { echo: 'echo', parse: 'JSON parse' };
const names = selected.map((c) => c.name);
function table(metric, unit, format) {
  const lines = [`| work | ${names.join(' | ')} |`, `|---|${names.map(() => '---').join('|')}|`];
  for (const op of Object.keys(results)) {
    for (const size of sizes) {
      const row = results[op][size];
      const base = row['umd defaults'][metric];
      const cells = names.map((name) =>
        name === 'umd defaults'
          ? `1.00 (${format(base)}${unit})`
          : `${(row[name][metric] / base).toFixed(2)}x`,
      );
      lines.push(`| ${jobName[op]} ${label(size)} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

console.log(
  `Node ${process.version}, ${cores} cores, ${budgetMs} ms per measurement, median of ${rounds} rounds, ${CALLERS} callers for throughput.\n`,
);
console.log(
  'Throughput, 16 concurrent callers (requests per second; ratio to umd defaults, higher is better):\n',
);
console.log(table('perSec', '/s', (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0))));
console.log(
  '\nSerial latency, one caller (µs per request; ratio to umd defaults, lower is better):\n',
);
console.log(table('latencyUs', ' µs', (v) => v.toFixed(0)));
if (values.json)
  writeFileSync(
    values.json,
    JSON.stringify({ node: process.version, cores, budgetMs, results }, null, 2),
  );
