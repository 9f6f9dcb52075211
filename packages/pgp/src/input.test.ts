import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { untilAborted } from './input.js';

const chunk = new Uint8Array(16);

/** Chunks as fast as they are asked for, never waiting for I/O; ends after `ms` as a guard. */
async function* neverWaits(ms: number) {
  const end = performance.now() + ms;
  while (performance.now() < end) yield chunk;
}

async function readAll(source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<number> {
  let count = 0;
  for await (const _ of untilAborted(source, signal)) count++;
  return count;
}

// Found by trying it (session 21) with an endless generator as the signed data.
describe('untilAborted', () => {
  it('a source that never waits for I/O still ends when the signal fires (its timer runs)', async () => {
    const started = performance.now();
    const error = await readAll(neverWaits(5_000), AbortSignal.timeout(50)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUmdError(error, UmdErrorCode.TIMEOUT), String(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(2_500);
  });

  it('keeps nothing per chunk: a long read leaves the heap as it was', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    async function* many(n: number) {
      for (let i = 0; i < n; i++) yield chunk;
    }
    const signal = new AbortController().signal;
    gc();
    const before = process.memoryUsage().heapUsed;
    let growth = 0;
    let count = 0;
    for await (const _ of untilAborted(many(300_000), signal)) {
      if (++count === 299_999) {
        gc();
        growth = process.memoryUsage().heapUsed - before;
      }
    }
    // A reaction left per chunk kept about 350 bytes each: 100 MiB here.
    expect(growth).toBeLessThan(10 * 2 ** 20);
  });
});
