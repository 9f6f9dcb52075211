// Part 1 of the demo: an echo handler behind a UmdManager, requests from 64 B to 16 MiB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { defineLoader, UmdManager } from '@umd/mgmt';
import { buildBlob } from '@umd/build';

const SIZES = [64, 1024, 64 * 1024, 1024 * 1024, 16 * 1024 * 1024];
const ROUNDS = 20;
/** Untimed requests per size first (the JIT of both processes, the handler's first buffers of that size). */
const WARM_UP = 5;

const formatSize = (bytes) =>
  bytes >= 1 << 20
    ? `${bytes / (1 << 20)} MiB`
    : bytes >= 1024
      ? `${bytes / 1024} KiB`
      : `${bytes} B`;

/** Builds the echo blob, starts it through a manager and prints round-trip times. */
export async function runEchoDemo(log = console.log) {
  const blobDir = await mkdtemp(join(tmpdir(), 'umd-demo-'));
  const manager = new UmdManager({
    name: 'echo',
    // The loader is only built and imported on the first request, as request_module() would.
    loader: async () => {
      const blob = await buildBlob({
        entry: new URL('./echo-handler.mjs', import.meta.url).pathname,
        outDir: blobDir,
        name: 'echo',
      });
      log(
        `  loader: bundled the handler into ${blob.file} (sha256 ${blob.sha256.slice(0, 16)}...)`,
      );
      return defineLoader({ name: 'echo', mode: 'framed', script: blob.file, sha256: blob.sha256 });
    },
  });
  manager.on('ready', ({ pid, hello }) =>
    log(
      `  handler ${hello?.name} ready, pid ${pid}, accepts up to ${formatSize(hello?.maxPayload ?? 0)}`,
    ),
  );
  try {
    const started = performance.now();
    await manager.request(new Uint8Array(1));
    log(
      `  cold start (load + verify + spawn + HELLO + first request): ${(performance.now() - started).toFixed(1)} ms`,
    );
    log('');
    log('  size       median RTT    throughput   with replyInto (your buffer, no allocation)');
    for (const size of SIZES) {
      const payload = new Uint8Array(size);
      for (let i = 0; i < size; i += 4096) payload[i] = i & 0xff;
      const replyInto = new Uint8Array(size);
      const medianOf = async (options) => {
        for (let round = 0; round < WARM_UP; round++) await manager.request(payload, options);
        const times = [];
        for (let round = 0; round < ROUNDS; round++) {
          const t0 = performance.now();
          const reply = await manager.request(payload, options);
          times.push(performance.now() - t0);
          if (reply.length !== size || reply[size - 1] !== payload[size - 1])
            throw new Error(`echo mismatch at ${size} bytes`);
        }
        times.sort((a, b) => a - b);
        return times[times.length >> 1];
      };
      const median = await medianOf(undefined);
      const intoMedian = await medianOf({ replyInto });
      const mibPerSecond = (2 * size) / (median / 1000) / (1 << 20);
      log(
        `  ${formatSize(size).padEnd(9)}  ${median.toFixed(3).padStart(9)} ms  ${mibPerSecond.toFixed(1).padStart(8)} MiB/s  ${intoMedian.toFixed(3).padStart(9)} ms`,
      );
    }
    const stats = manager.stats();
    log('');
    log(`  ${stats.requests} requests, ${stats.failures} failures, ${stats.restarts} restarts`);
  } finally {
    await manager.stop();
    await rm(blobDir, { recursive: true, force: true });
  }
}
