// `pnpm bench`: median round-trip time and throughput of the umd transport against fork() IPC and
// a C socketpair ping-pong, at 64 B .. 16 MiB. Samples of all transports are interleaved round
// by round so that load from other processes hits them alike; medians are reported.
// Writes bench-results/core.json. Options: --quick (fewer rounds), --sizes=64,4096
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { c, framed, ipc, raw } from './transports.mjs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const sizesArg = args.find((arg) => arg.startsWith('--sizes='));
const SIZES = sizesArg
  ? sizesArg.slice(8).split(',').map(Number)
  : [64, 4096, 65536, 1 << 20, 16 << 20];
const ROUNDS = quick ? 5 : 15;
/** Target duration of one sample (a batch of round trips) in ms. */
const SAMPLE_MS = quick ? 15 : 30;
const MIN_ROUNDS_LARGE = quick ? 3 : 7;
/** Warm-up per transport and size, at most (or 5000 round trips). */
const WARMUP_MS = quick ? 300 : 800;

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const buildDir = mkdtempSync(join(tmpdir(), 'umd-bench-'));
const pingpong = join(buildDir, 'pingpong');
execFileSync('cc', ['-O2', '-o', pingpong, join(packageDir, 'bench/pingpong.c')]);

const transports = [
  c(pingpong),
  framed(1),
  framed(16),
  raw(),
  framed(1, { replySocket: true }),
  framed(16, { replySocket: true }),
  raw({ replySocket: true }),
  framed(1, { replySocket: true, reuse: true }),
  raw({ replySocket: true, reuse: true }),
  framed(1, { replySocket: true, tunedMalloc: true }),
  framed(1, { replySocket: true, reuse: true, into: true }),
  raw({ replySocket: true, reuse: true, into: true }),
  ipc('json'),
  ipc('advanced'),
];
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

function formatTime(ns) {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${(ns / 1e6).toFixed(2)} ms`;
}
function formatSize(bytes) {
  if (bytes >= 1 << 20) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}
const throughput = (bytes, ns) => bytes / (1 << 20) / (ns / 1e9);

const results = [];
try {
  for (const size of SIZES) {
    for (const transport of transports) await transport.open(size);
    // Warm up (JIT of both processes: thousands of round trips), then calibrate batches of about
    // SAMPLE_MS each (at least one round trip).
    const counts = new Map();
    for (const transport of transports) {
      const warmUntil = performance.now() + WARMUP_MS;
      for (let done = 0; done < 5000 && performance.now() < warmUntil; done += 50)
        await transport.run(50);
      let count = 1;
      let elapsed = await transport.run(1);
      while (elapsed < 5e6 && count < 1e6) {
        count *= 2;
        elapsed = await transport.run(count);
      }
      // A pipelined transport needs a full window of requests per sample, or it measures one request alone.
      counts.set(
        transport,
        Math.max(transport.window ?? 1, Math.round((count * SAMPLE_MS * 1e6) / elapsed)),
      );
    }
    const samples = new Map(transports.map((transport) => [transport, []]));
    const rounds = size >= 1 << 20 ? Math.max(MIN_ROUNDS_LARGE, Math.round(ROUNDS / 2)) : ROUNDS;
    for (let round = 0; round < rounds; round++) {
      for (const transport of transports) {
        const count = counts.get(transport);
        samples.get(transport).push((await transport.run(count)) / count);
      }
    }
    const cMedian = median(samples.get(transports[0]));
    for (const transport of transports) {
      const ns = median(samples.get(transport));
      results.push({
        transport: transport.key,
        name: transport.name,
        size,
        medianNs: ns,
        throughputMiBs: throughput(size, ns),
        ratioToC: ns / cMedian,
        samples: samples.get(transport).length,
        roundTripsPerSample: counts.get(transport),
      });
    }
    process.stderr.write(`measured ${formatSize(size)}\n`);
  }
} finally {
  for (const transport of transports) await transport.close().catch(() => {});
  rmSync(buildDir, { recursive: true, force: true });
}

// One table: a row per transport, a column per size: median time per round trip (x C).
const header = ['transport', ...SIZES.map(formatSize)];
const rows = transports.map((transport) => [
  transport.name,
  ...SIZES.map((size) => {
    const result = results.find(
      (entry) => entry.transport === transport.key && entry.size === size,
    );
    return `${formatTime(result.medianNs)} (${result.ratioToC.toFixed(2)}x)`;
  }),
]);
const throughputRows = transports.map((transport) => [
  transport.name,
  ...SIZES.map((size) => {
    const result = results.find(
      (entry) => entry.transport === transport.key && entry.size === size,
    );
    return `${result.throughputMiBs.toFixed(result.throughputMiBs < 10 ? 2 : 0)} MiB/s`;
  }),
]);
const table = (title, head, body) =>
  [
    `${title}`,
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
console.log(
  table(
    'Median time per echo round trip (ratio to C); maxInFlight 16 = time per request while 16 are in flight',
    header,
    rows,
  ),
);
console.log();
console.log(table('Echo throughput (payload bytes per second, one way)', header, throughputRows));

const load = loadavg();
console.log(
  `\nnode ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load.map((x) => x.toFixed(1)).join(' ')}`,
);
mkdirSync(join(packageDir, 'bench-results'), { recursive: true });
const file = join(packageDir, 'bench-results/core.json');
writeFileSync(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: load, sizes: SIZES, results }, null, 2)}\n`,
);
console.log(`results written to ${file}`);
