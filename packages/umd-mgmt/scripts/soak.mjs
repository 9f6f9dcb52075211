// Soak test (not part of `pnpm test`): N requests with random payloads through UmdManager
// while the handler is SIGKILLed at random times. Every request must end in its own reply
// (byte-for-byte) or a typed UmdError; zero mismatched, zero lost, no process left. Half the
// requests read their replies into the caller's own buffer (replyInto), which must never be
// written after its call settled.
// Usage: pnpm --filter @umd/mgmt soak [-- --requests 100000 --concurrency 64 --max-in-flight 4 --kill-min-ms 100 --kill-max-ms 1000]
import { randomBytes, randomInt } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { isUmdError } from '@umd/core';
import { defineLoader, UmdManager } from '@umd/mgmt';
import { buildBlob } from '@umd/build';

const { values } = parseArgs({
  // `pnpm soak -- --requests 1000` passes the `--` through: skip it.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    requests: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '64' },
    'max-in-flight': { type: 'string', default: '4' },
    'kill-min-ms': { type: 'string', default: '100' },
    'kill-max-ms': { type: 'string', default: '1000' },
  },
});
const total = Number(values.requests);
const concurrency = Number(values.concurrency);
const maxInFlight = Number(values['max-in-flight']);
const killMin = Number(values['kill-min-ms']);
const killMax = Number(values['kill-max-ms']);

const handlerEntry = fileURLToPath(
  new URL('../test/fixtures/handlers/echo-handler.mjs', import.meta.url),
);
const outDir = await mkdtemp(join(tmpdir(), 'umd-soak-'));
process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
const blob = await buildBlob({ entry: handlerEntry, outDir, name: 'soak-echo' });
const manager = new UmdManager({
  name: 'soak',
  loader: defineLoader({
    name: 'soak-echo',
    mode: 'framed',
    script: blob.file,
    sha256: blob.sha256,
  }),
  env: { UMD_FIXTURE_CONCURRENCY: String(maxInFlight) },
  maxInFlight,
  maxQueue: concurrency,
  requestTimeoutMs: 20_000,
  restartBudget: { maxStarts: 1_000_000, windowMs: 1000 },
});
// Which containment each handler got (stats() has none once the manager is stopped).
const containments = new Set();
manager.on('ready', ({ containment }) => containments.add(containment));

// Payload: a 0x00 marker (never an echo-fixture command), the request number, random bytes.
function payloadFor(n) {
  const size = Math.random() < 0.02 ? randomInt(4096, 256 * 1024) : randomInt(5, 2048);
  const bytes = randomBytes(size);
  bytes[0] = 0;
  bytes.writeUInt32LE(n, 1);
  return bytes;
}

const outcome = {
  ok: 0,
  mismatched: 0,
  lost: 0,
  untyped: 0,
  strayWrites: 0,
  intoReplies: 0,
  codes: {},
};
// Every other request of a caller reads its reply into the caller's own 64 KiB buffer
// (replyInto; larger replies get a fresh one). Once a call settles the buffer is filled with a
// marker, which must still be intact when the caller next uses it: a byte written after the
// call settled (a handler killed mid-reply, say) is a stray write.
const INTO_SIZE = 64 * 1024;
const MARKER = Buffer.alloc(INTO_SIZE, 0xa5);
const settled = new Uint8Array(total);
let next = 0;
let kills = 0;
let killing = true;

async function worker() {
  const into = Buffer.alloc(INTO_SIZE, 0xa5);
  while (next < total) {
    const n = next++;
    const payload = payloadFor(n);
    const useInto = n % 2 === 1;
    if (useInto && !into.equals(MARKER)) outcome.strayWrites++;
    try {
      const reply = await manager.request(payload, useInto ? { replyInto: into } : {});
      settled[n]++;
      if (reply.buffer === into.buffer) outcome.intoReplies++;
      if (
        Buffer.compare(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength), payload) === 0
      )
        outcome.ok++;
      else outcome.mismatched++;
      if (useInto) into.fill(0xa5);
    } catch (error) {
      settled[n]++;
      if (useInto) into.fill(0xa5);
      if (isUmdError(error)) outcome.codes[error.code] = (outcome.codes[error.code] ?? 0) + 1;
      else {
        outcome.untyped++;
        console.error('untyped error', error);
      }
    }
  }
}

async function killer() {
  while (killing) {
    await sleep(randomInt(killMin, killMax + 1));
    const pid = manager.pid;
    if (killing && pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
        kills++;
      } catch {
        // already gone
      }
    }
  }
}

const started = performance.now();
const killLoop = killer();
const progress = setInterval(() => {
  process.stderr.write(`  ${next}/${total} sent, ${outcome.ok} ok, kills ${kills}\n`);
}, 5000);
await Promise.all(Array.from({ length: concurrency }, worker));
killing = false;
await killLoop;
clearInterval(progress);
const seconds = (performance.now() - started) / 1000;
for (let i = 0; i < total; i++) if (settled[i] !== 1) outcome.lost++;
const stats = manager.stats();
await manager.stop();

// No process of ours may be left.
const leftovers = readdirSync('/proc')
  .filter((entry) => /^\d+$/.test(entry))
  .filter((entry) => {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
    } catch {
      return false;
    }
  });

for (const pid of leftovers) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  console.error(
    `leftover ${pid}: ${stat.slice(0, 80)} cmdline=${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 200)}`,
  );
}
const failed = Object.values(outcome.codes).reduce((a, b) => a + b, 0);
const report = {
  requests: total,
  seconds: Number(seconds.toFixed(1)),
  ok: outcome.ok,
  typedErrors: failed,
  errorCodes: outcome.codes,
  mismatched: outcome.mismatched,
  lost: outcome.lost,
  untyped: outcome.untyped,
  repliesInCallerBuffers: outcome.intoReplies,
  strayWritesIntoCallerBuffers: outcome.strayWrites,
  kills,
  handlerStarts: stats.starts,
  containment: [...containments].join(', '),
  statsConsistent:
    stats.requests === total &&
    stats.replies + stats.failures === total &&
    stats.replies === outcome.ok,
  leftoverProcesses: leftovers.length,
};
console.log(JSON.stringify(report, null, 2));
const pass =
  report.mismatched === 0 &&
  report.lost === 0 &&
  report.untyped === 0 &&
  report.strayWritesIntoCallerBuffers === 0 &&
  report.ok + failed === total &&
  report.statsConsistent &&
  leftovers.length === 0;
console.log(pass ? 'SOAK PASS' : 'SOAK FAIL');
process.exitCode = pass ? 0 : 1;
