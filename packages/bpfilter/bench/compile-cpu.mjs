#!/usr/bin/env node
// The enforcement compile's CPU alone, no root: the service's compile worker
// (dist/enforce-compile-worker.js, started as table-compiler.ts starts it) is sent the
// enforcement bench's two N-rule tables in turn (bench/enforce/table.mjs, the same
// BENCH_TABLE), each as the early compile sends a SET_REPLACE's table (its entries moved into
// the worker, the last batch's memory given back). The SET_REPLACE is the one Bpfilter.restore
// sends for the table's text (captured on its way to the handler).
// Per compile: the worker thread's CPU (/proc/self/task/TID/schedstat), the process's CPU
// (process.cpuUsage: the worker, V8's helper threads and the little this thread does while
// it waits) and the wall time from the request to the answer; medians of the last `measured`
// of `compiles` (the first ones warm the worker up, as a running service's are).
// Usage: node bench/compile-cpu.mjs [rules=5000] [compiles=60] [measured=40]
// COMPILE_CPU_BASE=DIR (another checkout's packages/bpfilter, built): its worker's compiles
// alternated with this build's, for an A/B the machine's load moves alike.
// Profile (one .cpuprofile per thread; the worker's is the larger):
//   node --cpu-prof --cpu-prof-dir=/tmp/prof --cpu-prof-interval 50 bench/compile-cpu.mjs
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Bpfilter } from '@umd/bpfilter';
import { median } from './median.mjs';
import { rules } from './enforce/table.mjs';

const N = Number(process.argv[2] ?? 5000);
const COMPILES = Number(process.argv[3] ?? 60);
const MEASURED = Math.min(COMPILES, Number(process.argv[4] ?? 40));
const WORKER = fileURLToPath(new URL('../dist/enforce-compile-worker.js', import.meta.url));
/** As table-compiler.ts starts its worker. */
const YOUNG_GENERATION_MB = 192;
/** `struct ipt_replace`: where the fields a compile needs are, and where the entries start. */
const REPLACE = { validHooks: 32, size: 40, hookEntry: 44, underflow: 64, entries: 96 };

/** The SET_REPLACE request Bpfilter.restore sends for `text`'s one table. */
async function replaceRequest(text) {
  const bpfilter = new Bpfilter();
  const { sockopt } = bpfilter;
  const setsockopt = sockopt.setsockopt.bind(sockopt);
  let request;
  sockopt.setsockopt = (optname, optval, options) => {
    if (optname === 64) request ??= Uint8Array.from(optval);
    return setsockopt(optname, optval, options);
  };
  await bpfilter.restore(text);
  await bpfilter.stop();
  return request;
}

/** What the early compile sends the worker for `request` (early-compile.ts). */
function compileInput(request) {
  const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
  const u32s = (at) => Array.from({ length: 5 }, (_, h) => view.getUint32(at + 4 * h, true));
  const size = view.getUint32(REPLACE.size, true);
  return {
    name: new TextDecoder().decode(request.subarray(0, request.indexOf(0))),
    layout: {
      validHooks: view.getUint32(REPLACE.validHooks, true),
      hookEntry: u32s(REPLACE.hookEntry),
      underflow: u32s(REPLACE.underflow),
    },
    entries: request.slice(REPLACE.entries, REPLACE.entries + size),
    netlink: true,
  };
}

const threadNs = (tids) =>
  tids.reduce(
    (sum, tid) =>
      sum + Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]),
    0,
  );
const processUs = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

const texts = [0, 1].map((variant) => rules(N, variant));
const requests = [];
for (const text of texts) requests.push(await replaceRequest(text));

/** A compile worker of the build at `file`, as table-compiler.ts starts one, and its threads. */
async function startWorker(file) {
  const before = new Set(readdirSync('/proc/self/task'));
  const worker = new Worker(file, {
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    stdout: true,
    stderr: true,
  });
  await new Promise((resolve) => worker.once('online', resolve));
  // The worker's thread (and, under --cpu-prof, its profiler's).
  const tids = readdirSync('/proc/self/task').filter((t) => !before.has(t));
  const answers = new Map();
  worker.on('message', (answer) => answers.get(answer.id)?.(answer));
  const ask = (request, transfer) =>
    new Promise((resolve) => {
      answers.set(request.id, resolve);
      worker.postMessage(request, transfer);
    });
  return { worker, tids, ask, figures: { worker: [], process: [], wall: [] }, bytes: 0 };
}

/** Compile `i` in `w`, timed. */
async function compileIn(w, i, measured) {
  const input = compileInput(requests[i % 2]);
  const startNs = threadNs(w.tids);
  const startUs = processUs();
  const startMs = performance.now();
  const { result, error } = await w.ask({ id: i, input }, [input.entries.buffer]);
  const wall = performance.now() - startMs;
  const processMs = (processUs() - startUs) / 1e3;
  const workerMs = (threadNs(w.tids) - startNs) / 1e6;
  if (error !== undefined || result.batch === undefined)
    throw new Error(`compile ${i}: ${error?.message ?? 'no netlink batch'}`);
  w.bytes = result.batch.bytes.byteLength;
  w.worker.postMessage({ recycle: result.batch.bytes.buffer }, [result.batch.bytes.buffer]);
  if (!measured) return;
  w.figures.worker.push(workerMs);
  w.figures.process.push(processMs);
  w.figures.wall.push(wall);
}

// COMPILE_CPU_BASE=/path/to/other/packages/bpfilter: that build's worker too, its compiles
// alternated with this one's (in turn which goes first), for an A/B that the machine's load
// moves alike.
const builds = [['this build', WORKER]];
if (process.env.COMPILE_CPU_BASE)
  builds.push([
    'COMPILE_CPU_BASE',
    join(process.env.COMPILE_CPU_BASE, 'dist/enforce-compile-worker.js'),
  ]);
const workers = [];
for (const [, file] of builds) workers.push(await startWorker(file));
for (let i = 0; i < COMPILES; i++) {
  const order = i % 2 === 0 ? workers : [...workers].reverse();
  for (const w of order) await compileIn(w, i, i >= COMPILES - MEASURED);
}
for (const { worker } of workers) await worker.terminate();

const ms = (list) => `${median(list).toFixed(2)} ms`;
console.log(
  `compile of two ${N}-rule tables (BENCH_TABLE=${process.env.BENCH_TABLE ?? 'mixed'}) in turn, median of the last ${MEASURED} of ${COMPILES} (batch ${(workers[0].bytes / 1e6).toFixed(2)} MB):`,
);
workers.forEach(({ figures }, k) => {
  if (workers.length > 1) console.log(` ${builds[k][0]}:`);
  console.log(`  worker thread CPU  ${ms(figures.worker)}`);
  console.log(`  process CPU        ${ms(figures.process)}`);
  console.log(`  wall               ${ms(figures.wall)}`);
});
if (workers.length > 1) {
  const [a, b] = workers.map(({ figures }) => median(figures.worker));
  console.log(`  worker thread CPU, this build / COMPILE_CPU_BASE: ${(a / b).toFixed(3)}`);
}
console.log(
  `  load average       ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
