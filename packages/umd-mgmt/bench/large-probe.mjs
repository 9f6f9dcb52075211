// Where one large round trip's time goes, host and handler apart: alternating batches of echoes
// of one size through the C socketpair (pingpong.c), a default UmdManager (fresh reply buffers)
// and the same manager with `replyInto`, each row printed with its wall time, the host's CPU
// (user, system), page faults and sleeps (voluntary context switches), and the same of the
// handler (or of both C processes together), per round trip; and what the reply memory did per
// round trip: blocks reused, mapped fresh, given back by V8 (kept or unmapped; a block comes back
// when V8 frees its reply: at a scavenge if it died young, at a mark-compact if it was promoted,
// so the rows' counts are of blocks coming back in their window). `--each` also prints the host's
// page faults of every default round trip, to read beside `node --trace-gc` (which collections
// free how many dead replies at once).
// `--reuse-request-buffers` has the echo handler read requests into reused memory (the opt-in of
// serve()); `--handler-env NAME=VALUE` (repeatable) adds to the handler's environment (say
// GLIBC_TUNABLES=glibc.malloc.hugetlb=1). The host's own allocator settings are its environment's
// (MALLOC_TRIM_THRESHOLD_..., GLIBC_TUNABLES).
// Usage: node bench/large-probe.mjs [--size 1048576] [--count 50] [--rounds 9] [--each]
//          [--reuse-request-buffers] [--handler-env NAME=VALUE ...]
import { mkdtemp } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UmdManager } from '@umd/mgmt';
import { echoLoader, median, startPingpong, timedRoundTrips } from './large-rows.mjs';
import { RowProbe, processTree } from './row-probe.mjs';

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

const work = await mkdtemp(join(tmpdir(), 'umd-large-probe-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const { loader } = echoLoader(work);
const pingpong = startPingpong(work);
const handlerEnv = Object.fromEntries(
  values['handler-env'].map((pair) => /^([^=]+)=(.*)$/s.exec(pair).slice(1)),
);
if (values['reuse-request-buffers']) handlerEnv.BENCH_REUSE_REQUEST_BUFFERS = '1';
const manager = new UmdManager({ name: 'large-probe', loader, env: handlerEnv });
await manager.start();

const payload = new Uint8Array(size).fill(7);
const into = { replyInto: new Uint8Array(size) };
const faults = () => process.resourceUsage().minorPageFault;
const viaDefault = values.each
  ? async (p) => {
      const before = faults();
      const reply = await manager.request(p);
      console.log(`default round trip: ${faults() - before} host page faults`);
      return reply;
    }
  : (p) => manager.request(p);
const rows = {
  c: { pids: () => processTree(pingpong.child.pid), run: () => pingpong.roundTrips(size, count) },
  default: {
    pids: () => processTree(manager.pid),
    run: () => timedRoundTrips(viaDefault, payload, count),
  },
  replyInto: {
    pids: () => processTree(manager.pid),
    run: () => timedRoundTrips((p) => manager.request(p, into), payload, count),
  },
};
// Warm-up: JIT, the C buffers, the caller's replyInto memory.
for (const row of Object.values(rows)) await row.run();

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
