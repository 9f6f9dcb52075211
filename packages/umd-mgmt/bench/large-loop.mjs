// One long loop of large round trips through a default UmdManager (fresh reply buffers, or
// `--into` for one replyInto buffer), after 300 to warm up: the distribution of single round trips
// (percentiles, not a median of batches), the host's CPU and page faults per round trip, the GC
// runs by kind during the loop, and what the reply memory did (blocks reused or mapped, nudges of
// the young generation, the most bytes out at once with none come back), beside the C baseline's
// median of 10 x 50 round trips of the same size (each batch the faster of two C pairs:
// startCBaseline), and the CPU of the host's and the handler's main threads and of their other
// threads apart. `--bare` runs the loop on a bare FramedChannel (bare-handler.mjs) instead of a
// manager. `--handler-gc` also counts the handler's collections in the loop (echo-handler.mjs's
// BENCH_GC_PROBE). `--trace-gc` on node's command line lists each of the host's collections.
// Usage: node bench/large-loop.mjs [--size 1048576] [--count 4000] [--into] [--bare] [--handler-gc]
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { replyMemoryOutBytes, replyMemoryStats } from '@umd/core/testing';
import { startBareChannel } from './bare-handler.mjs';
import {
  benchWorkDir,
  echoLoader,
  median,
  startCBaseline,
  startEchoManager,
} from './large-rows.mjs';
import { processTree, threadSplitNs } from './row-probe.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(1 << 20) },
    count: { type: 'string', default: '4000' },
    into: { type: 'boolean', default: false },
    bare: { type: 'boolean', default: false },
    'handler-gc': { type: 'boolean', default: false },
  },
});
const size = Number(values.size);
const count = Number(values.count);

const gcRuns = { minor: 0, major: 0, other: 0, pauseMs: 0 };
let counting = false;
new PerformanceObserver((list) => {
  if (!counting) return;
  for (const entry of list.getEntries()) {
    const kind = entry.detail?.kind;
    gcRuns.pauseMs += entry.duration;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcRuns.minor++;
    else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcRuns.major++;
    else gcRuns.other++;
  }
}).observe({ entryTypes: ['gc'] });

const handlerEnv = values['handler-gc'] ? { BENCH_GC_PROBE: '1' } : {};
const channel = values.bare
  ? await bareChannel()
  : await startEchoManager('large-loop', { env: handlerEnv });
const { work } = channel;
const send = values.bare
  ? (p, o) => channel.bare.channel.request(p, o)
  : (p, o) => channel.manager.request(p, o);
const handlerPids = values.bare ? [channel.bare.pid] : processTree(channel.manager.pid);
const cBaseline = startCBaseline(work);
const payload = new Uint8Array(size).fill(7);
const options = values.into ? { replyInto: new Uint8Array(size) } : undefined;
const c = [];
for (let i = 0; i < 5; i++) c.push(await cBaseline.roundTrips(size, 50));
for (let i = 0; i < 300; i++) await send(payload, options);
/** With --handler-gc: a 1-byte request starts the handler's count, the next one answers it. */
const gcProbe = async () =>
  values['handler-gc'] ? new TextDecoder().decode(await send(new Uint8Array(1))) : undefined;
await gcProbe();

const times = new Float64Array(count);
let mostOut = 0;
const usage0 = process.resourceUsage();
const threads0 = { host: threadSplitNs([process.pid]), handler: threadSplitNs(handlerPids) };
const memory0 = replyMemoryStats();
counting = true;
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  const t = performance.now();
  const reply = await send(payload, options);
  if (reply.byteLength !== size) throw new Error('short echo');
  times[i] = (performance.now() - t) * 1000;
  // The counter alone: the whole replyMemoryStats() object, made at every round trip, showed in
  // the host CPU this loop reports (bench docs: "Large messages on the default path").
  mostOut = Math.max(mostOut, replyMemoryOutBytes() ?? 0);
}
const meanUs = ((performance.now() - t0) * 1000) / count;
const handlerGc = await gcProbe();
await new Promise((resolve) => setImmediate(resolve)); // GC entries arrive after a turn
counting = false;
const usage1 = process.resourceUsage();
const threads1 = { host: threadSplitNs([process.pid]), handler: threadSplitNs(handlerPids) };
const memory1 = replyMemoryStats();
for (let i = 0; i < 5; i++) c.push(await cBaseline.roundTrips(size, 50));
if (values.bare) channel.bare.stop();
else await channel.manager.stop();
await cBaseline.stop();

const sorted = [...times].sort((a, b) => a - b);
const at = (q) => sorted[Math.floor(q * (sorted.length - 1))].toFixed(0);
const per = (a, b) => ((b - a) / count).toFixed(1);
const blocks =
  memory0 && memory1
    ? `blocks reused ${memory1.reused - memory0.reused} mapped ${memory1.mapped - memory0.mapped}, nudges ${memory1.nudges - memory0.nudges}, most out ${(mostOut / 2 ** 20).toFixed(0)} MiB`
    : 'no reply memory (native helper not loaded)';
console.log(
  `${process.version} ${values.bare ? 'bare channel' : 'manager'} ${size} B x ${count}${values.into ? ' replyInto' : ''}: mean ${meanUs.toFixed(0)} µs, p10 ${at(0.1)} p50 ${at(0.5)} p90 ${at(0.9)} p99 ${at(0.99)} max ${at(1)} µs; C median ${median(c).toFixed(0)} µs`,
);
console.log(
  `  host per round trip: user ${per(usage0.userCPUTime, usage1.userCPUTime)} µs, system ${per(usage0.systemCPUTime, usage1.systemCPUTime)} µs, faults ${per(usage0.minorPageFault, usage1.minorPageFault)}; GC: ${gcRuns.minor} scavenges, ${gcRuns.major} mark-compacts, ${gcRuns.other} other, ${gcRuns.pauseMs.toFixed(0)} ms paused; ${blocks}`,
);
const threadUs = (side, kind) =>
  ((threads1[side][kind] - threads0[side][kind]) / 1000 / count).toFixed(0);
console.log(
  `  CPU per round trip by thread: host main ${threadUs('host', 'main')} µs, its other threads ${threadUs('host', 'others')} µs; handler main ${threadUs('handler', 'main')} µs, its other threads ${threadUs('handler', 'others')} µs`,
);
if (handlerGc !== undefined) {
  const { Scavenge = 0, MarkSweepCompact = 0, pauseUs } = JSON.parse(handlerGc);
  console.log(
    `  handler GC: ${Scavenge} scavenges, ${MarkSweepCompact} mark-compacts, ${(pauseUs / 1000).toFixed(0)} ms paused`,
  );
}

/** The bench's echo handler behind a bare FramedChannel, as mgmt-bench.mjs's bare rows run it. */
async function bareChannel() {
  const work = await benchWorkDir('large-loop');
  return { bare: await startBareChannel(echoLoader(work).blob, undefined, handlerEnv), work };
}
