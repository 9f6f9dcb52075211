// One robustness case in a host process of its own (a fault may take the host down):
// node robust-case.mjs <contender name> <throw|exit|hang|memory|segfault>. Prints one JSON line.
import { setTimeout as sleep } from 'node:timers/promises';
import { contenders } from './contenders.mjs';

const [name, kind] = process.argv.slice(2);
const contender = contenders.find((c) => c.name === name);
const TIMEOUT_MS = 5000; // per call, where the library has a timeout
const WAIT_MS = 10_000; // how long the case waits for any answer
const running = await contender.start('fault', { memoryMb: 64 });
const payload = (s) => (contender.bytes ? new TextEncoder().encode(s) : s);
const describe = (e) => `${e?.code ?? e?.name ?? 'Error'}: ${String(e?.message).slice(0, 90)}`;

async function attempt(job, timeoutMs = TIMEOUT_MS, waitMs = WAIT_MS) {
  const t0 = performance.now();
  const outcome = await Promise.race([
    running.call(payload(job), timeoutMs).then(
      () => 'reply',
      (e) => describe(e),
    ),
    sleep(waitMs).then(() => `no answer within ${waitMs} ms`),
  ]);
  return { outcome, ms: Math.round(performance.now() - t0) };
}

// One good request first: every worker started, so the figures below are the fault's alone.
const warm = await attempt('ok', 0, 60_000); // 0: no timeout
if (warm.outcome !== 'reply') throw new Error(`${name} did not start: ${warm.outcome}`);
const fault = await attempt(kind);
const next = await attempt('ok');
process.stdout.write(`${JSON.stringify({ fault, next })}\n`);
await Promise.race([running.close(), sleep(3000)]);
process.exit(0);
