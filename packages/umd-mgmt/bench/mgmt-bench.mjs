// The manager's own cost, measured in one run on one machine:
//  1. 64 B round trips through UmdManager vs the bare @umd/core FramedChannel, same handler
//     blob, same flags and environment (target: manager <= 10 % slower);
//  2. cold start, i.e. the first request including load, digest check, spawn and HELLO: a JS
//     handler vs a bare `node -e 0` with the same clean environment (target <= 1.3x), and a
//     native handler (target < 5 ms).
// Usage: pnpm --filter @umd/mgmt bench   (writes bench-results/mgmt.json)
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FramedChannel, FrameType } from '@umd/core';
import { defineLoader, ENV_ALLOW_LIST, UmdManager } from '@umd/mgmt';
import { buildBlob, recordBlob } from '@umd/mgmt/build';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 61);
const ROUND_TRIPS = Number(process.env.BENCH_ROUND_TRIPS ?? 1000);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 20);
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const work = await mkdtemp(join(tmpdir(), 'umd-mgmt-bench-'));
const blob = await buildBlob({ entry: here('./echo-handler.mjs'), outDir: work, name: 'bench-echo' });
const nativeFile = join(work, 'native-echo');
execFileSync('cc', ['-O2', `-I${here('../node_modules/@umd/core/native')}`, '-o', nativeFile, here('../test/fixtures/native/native-echo.c')]);
const native = await recordBlob({ file: nativeFile, name: 'native-echo' });

const jsLoader = defineLoader({ name: 'bench-echo', mode: 'framed', script: blob.file, sha256: blob.sha256 });
const nativeLoader = defineLoader({ name: 'native-echo', mode: 'framed', executable: native.file, sha256: native.sha256 });

// The same clean environment the manager gives its handlers.
const cleanEnv = { UMD_PROTOCOL: 'framed' };
for (const key of ENV_ALLOW_LIST) if (process.env[key] !== undefined) cleanEnv[key] = process.env[key];
const permission = process.allowedNodeEnvironmentFlags.has('--permission') ? '--permission' : '--experimental-permission';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

const payload64 = new Uint8Array(64).fill(7);

/** One batch: wall-clock and host CPU microseconds per round trip. */
async function roundTrips(send) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ROUND_TRIPS; i++) await send(payload64);
  const wallUs = ((performance.now() - t0) * 1000) / ROUND_TRIPS;
  const cpu = process.cpuUsage(c0);
  return { wallUs, cpuUs: (cpu.user + cpu.system) / ROUND_TRIPS };
}

// --- 1. cold start (first: a host with a small heap forks faster) ----------------------------------------------------------------------
async function nodeE0() {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { env: cleanEnv, stdio: 'ignore' });
  await once(child, 'exit');
  return performance.now() - t0;
}

async function coldFirstRequest(loader) {
  const t0 = performance.now();
  const m = new UmdManager({ name: 'cold', loader: async () => loader, restartBudget: { maxStarts: 1000, windowMs: 1000 } });
  await m.request(new Uint8Array(64));
  const ms = performance.now() - t0;
  await m.stop();
  return ms;
}

// The machine's floor for a native first request: spawn the same binary directly, wait for its
// HELLO, send one 64 B REQUEST and wait for the REPLY; no manager, no digest check, no copy.
const floorRequest = encodeFrame(FrameType.Request, 1, new Uint8Array(64));
async function nativeSpawnToReply() {
  const t0 = performance.now();
  const child = spawn(native.file, [], { env: cleanEnv, stdio: ['pipe', 'pipe', 'ignore'], detached: true });
  let seen = 0;
  const replied = new Promise((resolve) =>
    child.stdout.on('data', (chunk) => {
      seen += chunk.length;
      if (seen >= 16 + 8 + 'native-echo'.length + 16 + 64) resolve();
    }),
  );
  await once(child.stdout, 'data'); // HELLO
  child.stdin.write(floorRequest);
  await replied;
  const ms = performance.now() - t0;
  child.kill('SIGKILL');
  await once(child, 'exit');
  return ms;
}

const nodeMs = [];
const jsMs = [];
const nativeMs = [];
const nativeFloorMs = [];
await nodeE0();
await coldFirstRequest(jsLoader);
await coldFirstRequest(nativeLoader);
for (let i = 0; i < COLD_RUNS; i++) {
  nodeMs.push(await nodeE0());
  jsMs.push(await coldFirstRequest(jsLoader));
  nativeMs.push(await coldFirstRequest(nativeLoader));
  nativeFloorMs.push(await nativeSpawnToReply());
}

// --- 2. round trips ---------------------------------------------------------------------
const bareChild = spawn(process.execPath, [permission, `--allow-fs-read=${blob.file}`, '--disable-warning=ExperimentalWarning', blob.file], {
  env: cleanEnv,
  stdio: ['pipe', 'pipe', 'inherit'],
  detached: true,
});
const channel = FramedChannel.fromChild(bareChild);
await channel.waitForHello();
const manager = new UmdManager({ name: 'bench', loader: jsLoader });
await manager.start();

const viaBare = (p) => channel.request(p);
const viaManager = (p) => manager.request(p);
for (let i = 0; i < 5; i++) {
  await roundTrips(viaBare); // warm-up (JIT) of both paths
  await roundTrips(viaManager);
}
// Many short batches, alternating A/B then B/A, so load drift on a busy machine hits both
// sides alike; the headline ratio is the median of the per-pair ratios.
const bare = [];
const managed = [];
const pairRatios = [];
for (let round = 0; round < ROUNDS; round++) {
  let a;
  let b;
  if (round % 2 === 0) {
    a = await roundTrips(viaBare);
    b = await roundTrips(viaManager);
  } else {
    b = await roundTrips(viaManager);
    a = await roundTrips(viaBare);
  }
  bare.push(a);
  managed.push(b);
  pairRatios.push(b.wallUs / a.wallUs);
}
const bareUs = bare.map((r) => r.wallUs);
const managerUs = managed.map((r) => r.wallUs);
channel.close();
bareChild.kill('SIGKILL');
await manager.stop();

// --- report -----------------------------------------------------------------------------
const results = {
  machine: { node: process.version, cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg(), date: new Date().toISOString() },
  roundTrip64B: {
    bareChannelUs: median(bareUs),
    managerUs: median(managerUs),
    ratio: median(pairRatios),
    target: '<= 1.10',
    hostCpuUs: { bareChannel: median(bare.map((r) => r.cpuUs)), manager: median(managed.map((r) => r.cpuUs)) },
    batches: { count: ROUNDS, roundTripsEach: ROUND_TRIPS, bareUs, managerUs },
  },
  coldStart: {
    nodeE0Ms: median(nodeMs),
    jsHandlerMs: median(jsMs),
    jsRatio: median(jsMs) / median(nodeMs),
    jsTarget: '<= 1.3',
    nativeHandlerMs: median(nativeMs),
    nativeBareSpawnFirstReplyMs: median(nativeFloorMs),
    nativeTarget: '< 5 ms',
    runs: COLD_RUNS,
  },
};

const row = (name, value, baseline, target, met) =>
  `| ${name.padEnd(46)} | ${value.padStart(10)} | ${baseline.padStart(14)} | ${target.padEnd(8)} | ${met ? 'yes' : 'NO '} |`;
const r = results.roundTrip64B;
const c = results.coldStart;
console.log(`\n@umd/mgmt bench, node ${process.version}, ${results.machine.cpus} CPUs (medians of ${ROUNDS} rounds x ${ROUND_TRIPS} round trips, ${COLD_RUNS} cold starts)\n`);
console.log('| measurement                                    |      value | vs baseline    | target   | met |');
console.log('|------------------------------------------------|-----------:|---------------:|----------|-----|');
console.log(row('64 B round trip, bare FramedChannel', `${r.bareChannelUs.toFixed(1)} µs`, 'baseline', '', true));
console.log(row('64 B round trip, UmdManager.request()', `${r.managerUs.toFixed(1)} µs`, `${r.ratio.toFixed(3)}x`, '<= 1.10x', r.ratio <= 1.1));
console.log(row('  host CPU per round trip (manager vs bare)', `${r.hostCpuUs.manager.toFixed(1)} µs`, `${r.hostCpuUs.bareChannel.toFixed(1)} µs bare`, '', true));
console.log(row('cold start, `node -e 0` (clean env)', `${c.nodeE0Ms.toFixed(1)} ms`, 'baseline', '', true));
console.log(row('cold start, JS handler: first request', `${c.jsHandlerMs.toFixed(1)} ms`, `${c.jsRatio.toFixed(2)}x`, '<= 1.3x', c.jsRatio <= 1.3));
console.log(row('cold start, native handler: first request', `${c.nativeHandlerMs.toFixed(2)} ms`, '', '< 5 ms', c.nativeHandlerMs < 5));
console.log(row('  floor: same binary spawned bare, HELLO + 1 reply', `${c.nativeBareSpawnFirstReplyMs.toFixed(2)} ms`, '', '', true));
console.log(`\nload average at the end: ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);

const outDir = here('../bench-results/');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'mgmt.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${join(outDir, 'mgmt.json')}`);
