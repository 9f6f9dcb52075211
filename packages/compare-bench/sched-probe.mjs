// Where one contender's time goes under 16 callers (Linux): for the host and each process it
// started, CPU time, run-queue wait and context switches per request, from /proc/<pid>/task/*
// (schedstat, status), main thread and helper threads apart. Throughput figures belong to
// compare.mjs (ratios in one run); this tells why two contenders differ.
// node sched-probe.mjs --contender 'umd pool auto' [--op parse] [--size 65536] [--seconds 3]
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { descendantsOf } from '@umd/core/testing';
import { contenders } from './contenders.mjs';
import { payloadText } from './payload.mjs';

const { values } = parseArgs({
  options: {
    contender: { type: 'string', default: 'umd pool auto' },
    op: { type: 'string', default: 'parse' },
    size: { type: 'string', default: '65536' },
    seconds: { type: 'string', default: '3' },
  },
});
const contender = contenders.find((c) => c.name === values.contender);
if (!contender) throw new Error(`no contender ${values.contender}`);
const CALLERS = 16;
const text = payloadText(values.op, Number(values.size));
const payload = contender.bytes ? new TextEncoder().encode(text) : text;

const read = (path) => readFileSync(path, 'utf8');
/** `reading()`'s result, or undefined when the process or thread has gone meanwhile. */
function gone(reading) {
  try {
    return reading();
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ESRCH') return undefined;
    throw error;
  }
}

/** Per thread: run and run-queue wait (ns), voluntary and involuntary switches. */
function sample(pids) {
  const threads = new Map();
  for (const pid of pids) {
    for (const tid of gone(() => readdirSync(`/proc/${pid}/task`)) ?? []) {
      const dir = `/proc/${pid}/task/${tid}`;
      const schedstat = gone(() => read(`${dir}/schedstat`));
      const status = gone(() => read(`${dir}/status`));
      if (schedstat === undefined || status === undefined) continue;
      const [run, wait] = schedstat.split(' ').map(Number);
      const count = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)[1]);
      const vol = count('voluntary_ctxt_switches');
      const inv = count('nonvoluntary_ctxt_switches');
      threads.set(tid, { pid, main: tid === String(pid), run, wait, vol, inv });
    }
  }
  return threads;
}
const idle = () => Number(read('/proc/stat').split('\n')[0].split(/\s+/)[4]);
const total = () =>
  read('/proc/stat')
    .split('\n')[0]
    .split(/\s+/)
    .slice(1)
    .map(Number)
    .reduce((a, b) => a + b);

const link = await contender.start(values.op);
// Warm up: every worker or instance started and JIT-compiled for this size.
await Promise.all(Array.from({ length: CALLERS * 4 }, () => link.call(payload)));
// This process and its descendants (an `unshare` supervisor's handler included).
const pids = [process.pid, ...descendantsOf(process.pid).map((p) => p.pid)];
const before = sample(pids);
const [idle0, total0] = [idle(), total()];
let requests = 0;
const t0 = performance.now();
const budget = Number(values.seconds) * 1000;
const caller = async () => {
  while (performance.now() - t0 < budget) {
    await link.call(payload);
    requests++;
  }
};
await Promise.all(Array.from({ length: CALLERS }, caller));
const elapsed = performance.now() - t0;
const after = sample(pids);
const idleShare = (idle() - idle0) / (total() - total0);
await link.close();

const us = (ns) => (ns / 1000 / requests).toFixed(0).padStart(4);
const per = (n) => (n / requests).toFixed(2);
console.log(
  `${values.contender}, ${values.op} ${values.size} B: ${((requests * 1000) / elapsed).toFixed(0)}/s, ` +
    `machine idle ${(idleShare * 100).toFixed(1)} %, load ${read('/proc/loadavg').split(' ')[0]}`,
);
console.log('Per request (over all requests): µs run and waiting for a CPU, sleeps, preemptions');
let cpu = 0;
for (const pid of pids) {
  const delta = [...after]
    .filter(([tid, t]) => t.pid === pid && before.has(tid))
    .map(([tid, t]) => {
      const b = before.get(tid);
      return {
        tid,
        main: t.main,
        run: t.run - b.run,
        wait: t.wait - b.wait,
        vol: t.vol - b.vol,
        inv: t.inv - b.inv,
      };
    });
  const run = delta.reduce((sum, t) => sum + t.run, 0);
  if (run < requests * 1000) continue; // under 1 µs per request: a supervisor
  cpu += run;
  const who = pid === process.pid ? 'host' : `child ${pid}`;
  // The main thread and any thread that works as hard (a pool's worker thread) on lines of their own.
  const busy = delta.filter((t) => t.main || t.run > requests * 20_000);
  for (const t of busy)
    console.log(
      `  ${who.padEnd(12)} ${t.main ? 'main  ' : 'worker'} run ${us(t.run)} wait ${us(t.wait)} ` +
        `sleeps ${per(t.vol)} preempted ${per(t.inv)}`,
    );
  const rest = delta.filter((t) => !busy.includes(t));
  console.log(
    `  ${who.padEnd(12)} ${rest.length} other threads run ${us(rest.reduce((sum, t) => sum + t.run, 0))}`,
  );
}
console.log(`  CPU per request ${us(cpu)} µs`);
process.exit(0);
