// What the large-message rows of mgmt-bench.mjs and the benches of one question (large-probe,
// large-loop, burst-start, echo-stream, tuned-flags-ab) share: a work directory gone at exit, the
// echo blob built as a driver package builds it (and a manager started on it), the C baseline
// (@umd/core's pingpong.c over a socketpair) and timed batches of round trips through a manager;
// and the median every bench section reports.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { STDIO_SEND_BUFFER } from '@umd/core';
import { TemporaryDirs } from '@umd/core/testing';
import { defineLoader, UmdManager } from '@umd/mgmt';
import { buildBlob } from './blobs.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

const workDirs = new TemporaryDirs();
process.on('exit', () => workDirs.removeAllSync());

/** A fresh directory (`umd-NAME-...` in the temp dir) for a bench's blobs and binaries, removed at exit. */
export const benchWorkDir = (name) => workDirs.make(`umd-${name}-`);

/** The loader of the bench's echo handler (`serve()` with its defaults) built into `work`. */
export function echoLoader(work) {
  const blob = buildBlob(work, './echo-handler.mjs', 'bench-echo');
  return {
    blob,
    loader: defineLoader({
      name: 'bench-echo',
      mode: 'framed',
      script: blob.file,
      sha256: blob.sha256,
    }),
  };
}

/**
 * A default UmdManager named `name` (plus `options`, say `env`) over the bench's echo handler,
 * started; its blob is built into a fresh {@link benchWorkDir}, `work`, which the caller may use.
 */
export async function startEchoManager(name, options = {}) {
  const work = await benchWorkDir(name);
  const manager = new UmdManager({ name, loader: echoLoader(work).loader, ...options });
  await manager.start();
  return { manager, work };
}

/**
 * Compiles (once per `work`) and starts pingpong.c (a C parent and child over a socketpair, each
 * reading into one reused buffer), with `sendBuffer` asked for as SO_SNDBUF on both ends (the
 * kernel's default without it). `roundTrips(size, count)` resolves with microseconds per round
 * trip; `stop()` ends both processes.
 */
export function startPingpong(work, { sendBuffer } = {}) {
  const file = join(work, 'pingpong');
  if (!existsSync(file))
    execFileSync('cc', ['-O2', '-o', file, here('../node_modules/@umd/core/bench/pingpong.c')]);
  const args = sendBuffer === undefined ? [] : [String(sendBuffer)];
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async roundTrips(size, count) {
      child.stdin.write(`${size} ${count}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error('pingpong exited');
      return Number(value) / 1000 / count;
    },
    async stop() {
      child.stdin.end();
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * The C baseline of the benches of one question: both C pairs of mgmt-bench.mjs's large rows (the
 * kernel's default send buffers, and `STDIO_SEND_BUFFER`), each batch run on both in turn, the
 * first of them alternating; `roundTrips(size, count)` resolves with the faster pair's
 * microseconds per round trip (the README's "Session 21": one pair alone measured where the
 * scheduler placed it).
 */
export function startCBaseline(work) {
  const pairs = [startPingpong(work), startPingpong(work, { sendBuffer: STDIO_SEND_BUFFER })];
  let batches = 0;
  return {
    async roundTrips(size, count) {
      const order = batches++ % 2 === 0 ? pairs : [...pairs].reverse();
      let best = Number.POSITIVE_INFINITY;
      for (const pair of order) best = Math.min(best, await pair.roundTrips(size, count));
      return best;
    },
    async stop() {
      for (const pair of pairs) await pair.stop();
    },
  };
}

/** Microseconds per round trip of `count` echoes of `payload` through `send` (checked by length). */
export async function timedRoundTrips(send, payload, count) {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const reply = await send(payload);
    if (reply.byteLength !== payload.byteLength) throw new Error('short echo');
  }
  return ((performance.now() - t0) * 1000) / count;
}

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
