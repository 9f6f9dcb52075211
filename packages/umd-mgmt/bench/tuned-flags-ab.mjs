// What the manager's V8 tuning of a JS handler (`tunedNodeFlags()`: on Node 24 the young
// generation capped at 8 MiB) does to large round trips: two bare channels to the bench's echo
// handler, one spawned with the flags and one without, in rounds interleaved with the C baseline
// (pingpong.c, the faster of two pairs: startCBaseline) in alternating order; prints each row's
// median against C and the handler's CPU per round trip. Where the running Node gets no flags the
// two rows are the same: a control that shows the noise of the run.
// Usage: node bench/tuned-flags-ab.mjs [--size 16777216] [--count 3] [--rounds 21]
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { tunedNodeFlags } from '@umd/mgmt';
import { startBareChannel } from './bare-handler.mjs';
import {
  benchWorkDir,
  echoLoader,
  median,
  startCBaseline,
  timedRoundTrips,
} from './large-rows.mjs';
import { treeCounters } from './row-probe.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(16 << 20) },
    count: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '21' },
  },
});
const size = Number(values.size);
const count = Number(values.count);
const rounds = Number(values.rounds);

const work = await benchWorkDir('tuned-flags');
const { blob } = echoLoader(work);
const cBaseline = startCBaseline(work);
const plain = await startBareChannel(blob, []);
const tuned = await startBareChannel(blob);
const payload = new Uint8Array(size).fill(7);
const through = (bare) => ({
  pid: bare.pid,
  run: () => timedRoundTrips((p) => bare.channel.request(p), payload, count),
});
const rows = {
  c: { run: () => cBaseline.roundTrips(size, count) },
  plain: through(plain),
  tuned: through(tuned),
};
for (const row of Object.values(rows)) await row.run(); // warm-up
const wall = { c: [], plain: [], tuned: [] };
const handlerCpuNs = { plain: 0, tuned: 0 };
for (let round = 0; round < rounds; round++) {
  const order = Object.keys(rows);
  if (round % 2 === 1) order.reverse();
  for (const key of order) {
    const pid = rows[key].pid;
    const before = pid === undefined ? 0 : treeCounters([pid]).cpuNs;
    wall[key].push(await rows[key].run());
    if (pid !== undefined) handlerCpuNs[key] += treeCounters([pid]).cpuNs - before;
  }
}
plain.stop();
tuned.stop();
await cBaseline.stop();

const cUs = median(wall.c);
const row = (key) =>
  `${(median(wall[key]) / cUs).toFixed(2)}x of C, handler CPU ${(handlerCpuNs[key] / 1000 / (rounds * count)).toFixed(0)} µs per round trip`;
console.log(
  `${process.version}, ${size} B x ${count} x ${rounds} rounds, load ${loadavg()[0].toFixed(1)}; flags: ${tunedNodeFlags().join(' ') || '(none)'}`,
);
console.log(`C ${cUs.toFixed(0)} µs per round trip`);
console.log(`without the flags: ${row('plain')}`);
console.log(`with the flags:    ${row('tuned')}`);
