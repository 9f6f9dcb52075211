import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readStderr } from './stderr-reader.js';

const limits = { tailLines: 3, bytesPerSecond: 1 << 30, linesPerSecond: 100 };
const numbered = (from: number, to: number) =>
  Buffer.from(Array.from({ length: to - from }, (_, i) => `line ${from + i}\n`).join(''));

describe('readStderr', () => {
  it('delivers lines up to the rate, counts the rest, and keeps the last lines', async () => {
    const stream = new PassThrough();
    const delivered: string[] = [];
    let dropped = 0;
    const { tail } = readStderr(
      stream,
      limits,
      (line) => delivered.push(line),
      (n) => {
        dropped += n;
      },
    );
    stream.write(Buffer.concat([numbered(0, 10_000), Buffer.from('unfinished')]));
    await new Promise((resolve) => setImmediate(resolve));
    // 100 lines a second are 5 per 50 ms slice.
    expect(delivered).toEqual(['line 0', 'line 1', 'line 2', 'line 3', 'line 4']);
    expect(delivered.length + dropped).toBe(10_000);
    expect(tail.lines()).toEqual(['line 9998', 'line 9999', 'unfinished']);
  });

  it('pauses reading once a slice has used its byte budget', async () => {
    const stream = new PassThrough();
    readStderr(stream, { ...limits, bytesPerSecond: 20_000 }, undefined, () => {});
    stream.write(Buffer.alloc(4096, 10));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.isPaused()).toBe(true);
    await sleep(80);
    expect(stream.isPaused()).toBe(false);
  });
});
