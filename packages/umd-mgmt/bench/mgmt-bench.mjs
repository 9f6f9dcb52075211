// The manager's own cost, measured in one run on one machine:
//  1. 64 B round trips through UmdManager vs the bare @umd/core FramedChannel, same handler
//     blob, same flags, environment and transport (small-round-trips.mjs; target: manager
//     <= 10 % slower);
//  2. cold starts of a JS handler against `node -e 0` (target <= 1.3x) and of a native handler
//     (target < 5 ms), and what the reply socket, the allocator settings and the PID namespace
//     cost at start (cold-starts.mjs);
//  3. 1 MiB and 16 MiB round trips through UmdManager vs a C parent and child over a socketpair,
//     and where each row's time goes (large-vs-c.mjs);
//  4. a manager's 64 B requests per second alone and beside a handler flooding stderr in the
//     same host (target >= 0.5x; stderr-flood.mjs).
// Usage: pnpm --filter @umd/mgmt bench   (writes bench-results/mgmt.json)
//        node bench/mgmt-bench.mjs --large-only   (section 3 alone, with each round's ratios)
//        node bench/mgmt-bench.mjs --cold-only    (section 2 alone; BENCH_COLD_RUNS sets its runs)
//        UMD_LAUNCHER=off node bench/mgmt-bench.mjs --cold-only   (handlers started by the program
//          chain instead of the launcher, for an A/B run)
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineLoader } from '@umd/mgmt';
import { findLauncher } from '@umd/mgmt/testing';
import { startBareChannel } from './bare-handler.mjs';
import { buildBlob, buildNativeEcho } from './blobs.mjs';
import { measureColdStarts } from './cold-starts.mjs';
import { measureLargeRoundTrips } from './large-vs-c.mjs';
import { benchWorkDir, echoLoader } from './large-rows.mjs';
import { printReport } from './mgmt-report.mjs';
import { measureSmallRoundTrips } from './small-round-trips.mjs';
import { stderrFloodBeside } from './stderr-flood.mjs';

const { values: flags } = parseArgs({
  options: {
    'large-only': { type: 'boolean', default: false },
    'cold-only': { type: 'boolean', default: false },
  },
});
const largeOnly = flags['large-only'];
const coldOnly = flags['cold-only'];
if (largeOnly && coldOnly) throw new Error('--large-only and --cold-only exclude each other');
const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 61),
  roundTrips: Number(process.env.BENCH_ROUND_TRIPS ?? 1000),
  coldRuns: Number(process.env.BENCH_COLD_RUNS ?? 32),
  // 45 since session 27, after 15 unmeasured (15 measured before; README, "Session 27").
  largeRounds: Number(process.env.BENCH_LARGE_ROUNDS ?? 45),
};

// The blobs, binaries and manifests go when the run ends.
const work = await benchWorkDir('mgmt-bench');
const { blob, loader: jsLoader } = echoLoader(work);
const floodBlob = buildBlob(work, './stderr-flood-handler.mjs', 'stderr-flood');
const native = buildNativeEcho(work);
const floodLoader = defineLoader({
  name: 'stderr-flood',
  mode: 'framed',
  script: floodBlob.file,
  sha256: floodBlob.sha256,
});
const nativeLoader = defineLoader({
  name: 'native-echo',
  mode: 'framed',
  executable: native.file,
  sha256: native.sha256,
});

// What starts the handlers (UMD_LAUNCHER=off: the program chain, for A/B runs).
const launcher = await findLauncher();
// Cold starts first: a host with a small heap forks faster.
const coldStart = largeOnly
  ? undefined
  : await measureColdStarts(jsLoader, nativeLoader, native.file, settings.coldRuns);
// The other sections, unless only the cold starts were asked for.
const { roundTrip64B, large, memoryBeforeLarge, timeSplit, stderrFlood } = coldOnly
  ? {}
  : await measureTheRest();

async function measureTheRest() {
  const bare = await startBareChannel(blob);
  const roundTrip64B = largeOnly
    ? undefined
    : await measureSmallRoundTrips(
        bare.channel,
        bare.pid,
        jsLoader,
        settings.rounds,
        settings.roundTrips,
      );
  const largeRows = await measureLargeRoundTrips(work, jsLoader, bare, settings.largeRounds);
  bare.stop();
  const stderrFlood = largeOnly ? undefined : await stderrFloodBeside(jsLoader, floodLoader);
  return { roundTrip64B, ...largeRows, stderrFlood };
}

const results = {
  machine: {
    node: process.version,
    cpus: cpus().length,
    loadavg: loadavg(),
    date: new Date().toISOString(),
    handlerStarts: launcher === undefined ? 'program chain' : 'launcher',
  },
  roundTrip64B,
  coldStart,
  largeRoundTrips: large,
  memoryBeforeLarge,
  largeTimeSplit: timeSplit,
  stderrFlood,
};
printReport(results, settings, launcher);

const outDir = fileURLToPath(new URL('../bench-results/', import.meta.url));
mkdirSync(outDir, { recursive: true });
const outFile = join(
  outDir,
  largeOnly ? 'mgmt-large.json' : coldOnly ? 'mgmt-cold.json' : 'mgmt.json',
);
writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${outFile}`);
