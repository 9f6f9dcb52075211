// The start of a burst of large round trips after an idle spell: a default UmdManager makes 10
// round trips, then `--bursts` times waits `--idle-ms` (longer than the reply memory's 5 s idle
// trim, and long enough for a VM's balloon to report the freed memory to the hypervisor) and
// times the first `--count` round trips of the next burst: wall time, the host's system CPU and
// how many reply blocks were mapped fresh. What the reply blocks' page size costs shows here
// (the README, "Fresh memory on this VM"), not in a steady loop, which reuses its blocks.
// Usage: node bench/burst-start.mjs [--size 16777216] [--count 20] [--bursts 3] [--idle-ms 7000]
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { replyMemoryStats } from '@umd/core/testing';
import { startEchoManager } from './large-rows.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(16 << 20) },
    count: { type: 'string', default: '20' },
    bursts: { type: 'string', default: '3' },
    'idle-ms': { type: 'string', default: '7000' },
  },
});
const size = Number(values.size);
const count = Number(values.count);

const { manager } = await startEchoManager('burst-start');
const payload = new Uint8Array(size).fill(7);
for (let i = 0; i < 10; i++) await manager.request(payload);

const bursts = [];
for (let b = 0; b < Number(values.bursts); b++) {
  await sleep(Number(values['idle-ms']));
  const mapped0 = replyMemoryStats()?.mapped ?? Number.NaN;
  const system0 = process.resourceUsage().systemCPUTime;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await manager.request(payload);
  const ms = performance.now() - t0;
  const systemMs = (process.resourceUsage().systemCPUTime - system0) / 1000;
  const mapped = (replyMemoryStats()?.mapped ?? Number.NaN) - mapped0;
  bursts.push(`${ms.toFixed(0)} ms, system ${systemMs.toFixed(0)} ms, ${mapped} mapped`);
}
console.log(`${process.version} ${count} x ${size} B after idle: ${bursts.join(' | ')}`);
await manager.stop();
