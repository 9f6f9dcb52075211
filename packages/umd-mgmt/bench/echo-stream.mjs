// A steady stream of echoes of one size through a default UmdManager, to attach `perf record
// -p`, `strace -c -p` or the like to the host and the handler while it runs: prints both pids
// once warm, runs for `--seconds`, then prints the wall time, the host's CPU and both sides'
// sleeps (voluntary context switches) per round trip. `--into` reads replies into one buffer
// (`replyInto`) instead of a fresh one each.
// Usage: node [--perf-basic-prof] bench/echo-stream.mjs [--size 1048576] [--seconds 10] [--into]
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startEchoManager } from './large-rows.mjs';
import { processTree, treeCounters } from './row-probe.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: String(1 << 20) },
    seconds: { type: 'string', default: '10' },
    into: { type: 'boolean', default: false },
  },
});
const size = Number(values.size);

const { manager } = await startEchoManager('echo-stream');
const payload = new Uint8Array(size).fill(7);
const options = values.into ? { replyInto: new Uint8Array(size) } : undefined;
for (let i = 0; i < 50; i++) await manager.request(payload, options); // warm-up (JIT, heap)
// The handler is the last process of the tree under the supervisor the manager spawned.
const handlerTree = processTree(manager.pid);
console.log(`host pid ${process.pid}, handler pid ${handlerTree.at(-1)}`);
await sleep(1000);

const usage0 = process.resourceUsage();
const other0 = treeCounters(handlerTree);
const t0 = performance.now();
const end = t0 + Number(values.seconds) * 1000;
let trips = 0;
while (performance.now() < end) {
  for (let i = 0; i < 10; i++) await manager.request(payload, options);
  trips += 10;
}
const wallUs = ((performance.now() - t0) * 1000) / trips;
const usage1 = process.resourceUsage();
const other1 = treeCounters(handlerTree);
await manager.stop();
const per = (n) => (n / trips).toFixed(1);
console.log(
  `${trips} round trips of ${size} B: ${wallUs.toFixed(1)} µs each; host user ${per(usage1.userCPUTime - usage0.userCPUTime)} µs, system ${per(usage1.systemCPUTime - usage0.systemCPUTime)} µs, sleeps ${per(usage1.voluntaryContextSwitches - usage0.voluntaryContextSwitches)}; handler CPU ${per((other1.cpuNs - other0.cpuNs) / 1000)} µs, sleeps ${per(other1.switches - other0.switches)}`,
);
