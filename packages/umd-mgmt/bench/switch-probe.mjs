// What a sample of large round trips through a default UmdManager costs by what ran just before
// it: the question of mgmt-bench.mjs's large rows, whose samples (one unmeasured round trip, then
// 50) run between other rows, against large-loop.mjs's steady loop (the README's "Session 27").
// Each round runs, in turn (the order reversed every other round), one predecessor and then one
// sample of the same manager; the predecessors are:
//   c         the C pair (pingpong.c, both send-buffer settings, as the bench's baseline rows)
//   other     another default manager of the same host (its own handler), 50 round trips
//   idle2     the host and the handler sleep 2 ms
//   idle25    ... 25 ms (about what one of the bench's rows lasts)
//   idle200   ... 200 ms
//   spin25    the host busy for 25 ms (it keeps its CPU), the handler asleep
//   self      the manager's own previous sample (what a steady loop is)
// Printed per predecessor: the median of the samples' means (and against the C pair's median),
// the median single round trip at positions 0-4, 5-19 and 20-49 of the samples (does the cost sit
// in the first round trips after the switch, or all through?), and per round trip the CPU of the
// host's and of the handler's main threads, their time waiting for a CPU (schedstat's run delay),
// their migrations per sample, the host's page faults and the reply blocks mapped fresh per sample.
// Usage: node bench/switch-probe.mjs [--size 1048576] [--count 50] [--rounds 20] [--into]
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { STDIO_SEND_BUFFER } from '@umd/core';
import { replyMemoryStats } from '@umd/core/testing';
import { UmdManager } from '@umd/mgmt';
import { benchWorkDir, echoLoader, median, startPingpong } from './large-rows.mjs';
import { processTree } from './row-probe.mjs';

const numbers = { size: 1 << 20, count: 50, rounds: 20 };
const { values } = parseArgs({
  options: {
    ...Object.fromEntries(
      Object.entries(numbers).map(([name, value]) => [
        name,
        { type: 'string', default: `${value}` },
      ]),
    ),
    into: { type: 'boolean', default: false },
  },
});
const size = Number(values.size);
const count = Number(values.count);
const rounds = Number(values.rounds);

const work = await benchWorkDir('switch-probe');
const { loader } = echoLoader(work);
const pairs = [startPingpong(work), startPingpong(work, { sendBuffer: STDIO_SEND_BUFFER })];
const manager = new UmdManager({ name: 'switch-probe', loader });
const other = new UmdManager({ name: 'switch-probe-other', loader });
await manager.start();
await other.start();
// The handler is the deepest process under the manager's child (a launcher may sit between).
const handlerPid = processTree(manager.pid).at(-1);
const payload = new Uint8Array(size).fill(7);
const options = values.into ? { replyInto: new Uint8Array(size) } : undefined;

/** Main-thread CPU and run delay (ns), migrations and last CPU of process `pid` (/proc). */
function schedOf(pid) {
  const [cpuNs, delayNs] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ').map(Number);
  const sched = readFileSync(`/proc/${pid}/sched`, 'utf8');
  const migrations = Number(/nr_migrations\s*:\s*(\d+)/.exec(sched)?.[1] ?? 0);
  return { cpuNs, delayNs, migrations };
}
const snapshot = () => ({
  host: schedOf(process.pid),
  handler: schedOf(handlerPid),
  faults: process.resourceUsage().minorPageFault,
  mapped: replyMemoryStats()?.mapped ?? 0,
});

/** One sample as mgmt-bench.mjs takes it: one round trip unmeasured, then `count` timed one by one. */
async function sample(through = manager) {
  await through.request(payload, options);
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const reply = await through.request(payload, options);
    times.push((performance.now() - t0) * 1000);
    if (reply.byteLength !== size) throw new Error('short echo');
  }
  return times;
}

const cUs = [];
const c = async () => {
  let best = Number.POSITIVE_INFINITY;
  for (const pair of pairs) best = Math.min(best, await pair.roundTrips(size, count));
  cUs.push(best);
};
const spin = (ms) => {
  const t0 = performance.now();
  while (performance.now() - t0 < ms);
};
const before = {
  c,
  other: () => sample(other),
  idle2: () => sleep(2),
  idle25: () => sleep(25),
  idle200: () => sleep(200),
  spin25: () => spin(25),
  self: () => sample(),
};

for (let i = 0; i < 2; i++) {
  await c();
  await sample(other);
  await sample();
}
cUs.length = 0;
const rows = Object.fromEntries(
  Object.keys(before).map((key) => [
    key,
    {
      samples: [],
      ...Object.fromEntries(
        ['hostCpu', 'hostDelay', 'hostMigrations', 'handlerCpu', 'handlerDelay'].map((k) => [k, 0]),
      ),
      ...{ handlerMigrations: 0, faults: 0, mapped: 0 },
    },
  ]),
);
for (let round = 0; round < rounds; round++) {
  const order = Object.keys(before);
  if (round % 2 === 1) order.reverse();
  for (const key of order) {
    await before[key]();
    const s0 = snapshot();
    const times = await sample();
    const s1 = snapshot();
    const row = rows[key];
    row.samples.push(times);
    row.hostCpu += s1.host.cpuNs - s0.host.cpuNs;
    row.hostDelay += s1.host.delayNs - s0.host.delayNs;
    row.hostMigrations += s1.host.migrations - s0.host.migrations;
    row.handlerCpu += s1.handler.cpuNs - s0.handler.cpuNs;
    row.handlerDelay += s1.handler.delayNs - s0.handler.delayNs;
    row.handlerMigrations += s1.handler.migrations - s0.handler.migrations;
    row.faults += s1.faults - s0.faults;
    row.mapped += s1.mapped - s0.mapped;
  }
}
await manager.stop();
await other.stop();
for (const pair of pairs) await pair.stop();

const mean = (list) => list.reduce((a, b) => a + b, 0) / list.length;
const cMedian = median(cUs);
const { loadavg } = await import('node:os');
console.log(
  `${process.version} ${size} B${values.into ? ' replyInto' : ''}, ${rounds} rounds, samples of 1 + ${count}; C pair median ${cMedian.toFixed(1)} µs; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  `before    sample mean (vs C)  round trips at 0-4 / 5-19 / 20-${count - 1} µs | per round trip: host CPU, run delay | handler CPU, run delay µs | migrations host, handler | faults/rt, blocks mapped/sample`,
);
const perTrip = (ns) => (ns / rounds / count / 1000).toFixed(0).padStart(4);
const perSample = (n) => (n / rounds).toFixed(1);
for (const [key, row] of Object.entries(rows)) {
  const sampleMean = median(row.samples.map(mean));
  const at = (lo, hi) =>
    median(row.samples.flatMap((times) => times.slice(lo, hi)))?.toFixed(0) ?? '-';
  console.log(
    `${key.padEnd(8)} ${sampleMean.toFixed(0).padStart(6)} µs (${(sampleMean / cMedian).toFixed(2)}x)  ${at(0, 5).padStart(5)} / ${at(5, 20).padStart(4)} / ${at(20, count).padStart(4)} | ${perTrip(row.hostCpu)}, ${perTrip(row.hostDelay)} | ${perTrip(row.handlerCpu)}, ${perTrip(row.handlerDelay)} | ${perSample(row.hostMigrations)}, ${perSample(row.handlerMigrations)} | ${(row.faults / rounds / count).toFixed(1)}, ${perSample(row.mapped)}`,
  );
}
