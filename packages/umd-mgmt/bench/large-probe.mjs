// Where one large round trip's time goes, host and handler apart: alternating batches of echoes
// of one size through the C socketpair (pingpong.c), a default UmdManager (fresh reply buffers)
// and the same manager with `replyInto`, each row printed with its wall time, the host's CPU
// (user, system), page faults and sleeps (voluntary context switches), and the same of the
// handler (or of both C processes together), per round trip; and what the reply memory did per
// round trip: blocks reused, mapped fresh, given back by V8 (kept or unmapped; a block comes back
// when V8 frees its reply: at a scavenge if it died young, at a mark-compact if it was promoted,
// so the rows' counts are of blocks coming back in their window). `--each` also prints every
// measured round trip of the default and replyInto rows on a line of its own: its wall time, the
// host's and the handler's page faults, the blocks it reused or mapped and those V8 gave back,
// and the collections that started in it (kind:ms; 1 scavenge, 4 mark-compact, 8 incremental
// marking), so that a slow sample shows what it held (reading /proc per round trip adds some
// tens of µs to these rows' times).
// `--reuse-request-buffers` has the echo handler read requests into reused memory (the opt-in of
// serve()); `--handler-env NAME=VALUE` (repeatable) adds to the handler's environment (say
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1). The host's own allocator settings are its environment's
// (MALLOC_TRIM_THRESHOLD_..., GLIBC_TUNABLES).
// Usage: node bench/large-probe.mjs [--size 1048576] [--count 50] [--rounds 9] [--each]
//          [--reuse-request-buffers] [--handler-env NAME=VALUE ...]
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { replyMemoryStats } from '@umd/core/testing';
import { median, startEchoManager, startPingpong, timedRoundTrips } from './large-rows.mjs';
import { RowProbe, processTree, treeCounters } from './row-probe.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(1 << 20) },
    count: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '9' },
    each: { type: 'boolean', default: false },
    'reuse-request-buffers': { type: 'boolean', default: false },
    'handler-env': { type: 'string', multiple: true, default: [] },
  },
});
const size = Number(values.size);
const count = Number(values.count);
const rounds = Number(values.rounds);

const handlerEnv = Object.fromEntries(
  values['handler-env'].map((pair) => /^([^=]+)=(.*)$/s.exec(pair).slice(1)),
);
if (values['reuse-request-buffers']) handlerEnv.BENCH_REUSE_REQUEST_BUFFERS = '1';
const { manager, work } = await startEchoManager('large-probe', { env: handlerEnv });
const pingpong = startPingpong(work);

const payload = new Uint8Array(size).fill(7);
const into = { replyInto: new Uint8Array(size) };
const handlerPids = processTree(manager.pid);
const traces = [];
const collections = [];
if (values.each)
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      collections.push({ at: entry.startTime, kind: entry.detail?.kind, ms: entry.duration });
  }).observe({ entryTypes: ['gc'] });
/** `send`, or with `--each` `send` recording what each round trip of row `label` held. */
const traced = (label, send) =>
  values.each
    ? async (p) => {
        const faults0 = process.resourceUsage().minorPageFault;
        const handlerFaults0 = treeCounters(handlerPids).faults;
        const blocks0 = replyMemoryStats();
        const t0 = performance.now();
        const reply = await send(p);
        const t1 = performance.now();
        const blocks1 = replyMemoryStats();
        const delta = (name) => (blocks1 && blocks0 ? blocks1[name] - blocks0[name] : 0);
        traces.push({
          label,
          t0,
          t1,
          hostFaults: process.resourceUsage().minorPageFault - faults0,
          handlerFaults: treeCounters(handlerPids).faults - handlerFaults0,
          reused: delta('reused'),
          mapped: delta('mapped'),
          back: delta('kept') + delta('unmapped'),
        });
        return reply;
      }
    : send;
const viaDefault = traced('default', (p) => manager.request(p));
const viaInto = traced('replyInto', (p) => manager.request(p, into));
const rows = {
  c: { pids: () => processTree(pingpong.child.pid), run: () => pingpong.roundTrips(size, count) },
  default: {
    pids: () => processTree(manager.pid),
    run: () => timedRoundTrips(viaDefault, payload, count),
  },
  replyInto: {
    pids: () => processTree(manager.pid),
    run: () => timedRoundTrips(viaInto, payload, count),
  },
};
// Warm-up: JIT, the C buffers, the caller's replyInto memory.
for (const row of Object.values(rows)) await row.run();
traces.length = 0;

const probe = new RowProbe();
const wall = { c: [], default: [], replyInto: [] };
for (let round = 0; round < rounds; round++) {
  const order = Object.keys(rows);
  if (round % 2 === 1) order.reverse();
  for (const key of order)
    wall[key].push(await probe.measure(key, rows[key].pids(), rows[key].run));
}
await manager.stop();
await pingpong.stop();
await new Promise((resolve) => setImmediate(resolve)); // GC entries arrive after a turn
const split = probe.report();
for (const trace of traces) {
  const inside = collections.filter((c) => c.at >= trace.t0 && c.at < trace.t1);
  const wallUs = `${((trace.t1 - trace.t0) * 1000).toFixed(0)} µs`.padStart(10);
  const faults = `faults host ${trace.hostFaults} handler ${trace.handlerFaults}`;
  const blocks = `blocks reused ${trace.reused} mapped ${trace.mapped} back ${trace.back}`;
  const gc = inside.map((c) => `${c.kind}:${c.ms.toFixed(1)}`).join(' ');
  console.log(`${trace.label.padEnd(9)} ${wallUs}  ${faults}  ${blocks}  GC ${gc}`);
}

const us = (ms) => `${((ms * 1000) / (rounds * count)).toFixed(1)} µs`.padStart(10);
const perTrip = (n) => (n / (rounds * count)).toFixed(1).padStart(7);
console.log(
  `${size} B echoes, ${rounds} rounds x ${count}, load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  'row        median wall  vs C    host user  host sys   faults  sleeps  other cpu  faults  sleeps  blocks: reused mapped back(kept/unmapped)  GC (ms, all rounds)',
);
for (const [key, row] of Object.entries(split)) {
  const gc = Object.entries(row.gc)
    .map(([kind, g]) => `${g.count} ${kind} ${g.ms.toFixed(1)}`)
    .join(', ');
  console.log(
    `${key.padEnd(10)} ${`${median(wall[key]).toFixed(1)} µs`.padStart(12)} ${(median(wall[key]) / median(wall.c)).toFixed(2).padStart(5)}x ${us(row.hostUserMs)} ${us(row.hostSystemMs)} ${perTrip(row.hostFaults)} ${perTrip(row.hostSwitches)} ${us(row.otherCpuMs)} ${perTrip(row.otherFaults)} ${perTrip(row.otherSwitches)} ${perTrip(row.blocks.reused)} ${perTrip(row.blocks.mapped)} ${perTrip(row.blocks.kept)}/${(row.blocks.unmapped / (rounds * count)).toFixed(1)}  ${gc}`,
  );
}
