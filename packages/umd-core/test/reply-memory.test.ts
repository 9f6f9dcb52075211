import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hostAddon } from '../src/channel/native-helper.js';
import {
  REPLY_MEMORY_MIN,
  type ReplyMemoryStats,
  replyMemoryStats,
} from '../src/channel/reply-memory.js';
import { FramedChannel, RawChannel } from '../src/index.js';
import { fixture, reapAfterEach, sameBytes, spawnHandler } from './helpers/handlers.js';

// Large replies live in blocks of the native helper, reused once V8 has freed them: a reply, or
// any view of its memory, must never see a later reply's bytes.
/** Just above the size from which replies live in the helper's blocks. */
const SIZE = REPLY_MEMORY_MIN + 1;
const CORE = fileURLToPath(new URL('..', import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Collects, then lets Node run the finalizers it queued for the next turn. */
async function collect() {
  gc();
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Collects until at least `count` blocks came back since `since`. V8 may free a dead block's
 * memory on a sweeper thread some time after the collection that found it dead, so one collection
 * is not enough; blocks of earlier tests' replies may come back meanwhile too.
 */
async function keptSince(since: ReplyMemoryStats, count: number) {
  for (let i = 0; i < 200; i++) {
    await collect();
    const now = replyMemoryStats()!;
    if (now.kept - since.kept >= count) return now;
    await sleep(10);
  }
  throw new Error(`fewer than ${count} blocks came back`);
}

/**
 * Trims the kept blocks until no block has come back for three collections in a row: the
 * replies of earlier tests are back by then, so none comes back in the middle of a count.
 */
async function settled() {
  let quiet = 0;
  for (let i = 0; i < 200 && quiet < 3; i++) {
    await collect();
    quiet = helper().trim() === 0 ? quiet + 1 : 0;
    await sleep(10);
  }
  if (quiet < 3) throw new Error('blocks kept coming back');
}

reapAfterEach();

function helper() {
  const addon = hostAddon();
  expect(addon, 'the native helper is built and loads').toBeDefined();
  return addon!;
}

describe('reply memory', () => {
  it.each([
    ['framed', (child: never) => FramedChannel.fromChild(child), {}],
    ['raw', (child: never) => RawChannel.fromChild(child), { ECHO_REQUEST_SIZE: String(SIZE) }],
  ] as const)(
    '%s: replies kept, and views of freed ones, keep their bytes while later replies reuse freed blocks',
    async (mode, open, env) => {
      const handler = spawnHandler(fixture('echo.mjs'), mode, env);
      const channel = open(handler.child as never);
      const echo = (seed: number) => {
        const payload = new Uint8Array(SIZE).fill(seed);
        return channel instanceof RawChannel
          ? channel.exchange(payload, SIZE)
          : (channel as FramedChannel).request(payload);
      };
      const kept = await echo(1);
      let dropped: Uint8Array | undefined = await echo(2);
      // A view of the reply's ArrayBuffer outlives the reply it came from.
      const view = Buffer.from(dropped.buffer, dropped.byteOffset, dropped.byteLength);
      dropped = undefined;
      helper().trim();
      const start = replyMemoryStats()!;
      for (let seed = 3; seed < 15; seed++) {
        expect(sameBytes(await echo(seed), new Uint8Array(SIZE).fill(seed)), `${seed}`).toBe(true);
        if (seed % 4 === 0) await collect();
      }
      expect(sameBytes(kept, new Uint8Array(SIZE).fill(1))).toBe(true);
      expect(sameBytes(view, new Uint8Array(SIZE).fill(2))).toBe(true);
      // The dead replies went back to the helper, to be reused.
      await keptSince(start, 1);
      expect(helper().trim()).toBeGreaterThanOrEqual(SIZE);
      channel.close();
    },
  );

  it('a steady loop of large replies, each collected before the next, maps one block and then reuses it', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child);
    // Each reply lives only in this function's frame, gone once it returns: nothing of the
    // test's own frame keeps a reply alive across the collection below.
    const echoes = async (seed: number) =>
      sameBytes(
        await channel.request(new Uint8Array(SIZE).fill(seed)),
        new Uint8Array(SIZE).fill(seed),
      );
    await settled();
    const before = replyMemoryStats()!;
    for (let seed = 1; seed <= 6; seed++) {
      const echoed = replyMemoryStats()!;
      expect(await echoes(seed), `echo ${seed}`).toBe(true);
      // This reply's block is back before the next request (the only one coming back now).
      await keptSince(echoed, 1);
    }
    const after = replyMemoryStats()!;
    const counts = { mapped: after.mapped - before.mapped, reused: after.reused - before.reused };
    expect(counts).toEqual({ mapped: 1, reused: 5 });
    // Every reply's block came back (blocks of earlier tests' replies may come back too).
    expect(after.kept - before.kept).toBeGreaterThanOrEqual(6);
    expect(after.keptBytes).toBeGreaterThanOrEqual(SIZE);
    channel.close();
  });

  it('a large reply is copied, never moved, to another thread: a transfer list copies it on Node 20 and is refused (DataCloneError) from Node 22 on', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child);
    const reply = await channel.request(new Uint8Array(SIZE).fill(9));
    const buffer = reply.buffer as ArrayBuffer;
    const { port1, port2 } = new MessageChannel();
    const received = () => new Uint8Array(receiveMessageOnPort(port2)!.message as ArrayBuffer);
    port1.postMessage(buffer);
    expect(sameBytes(received(), new Uint8Array(SIZE).fill(9))).toBe(true);
    const major = Number(process.versions.node.split('.')[0]);
    if (major >= 22) {
      expect(() => port1.postMessage(buffer, [buffer])).toThrow(
        expect.objectContaining({ name: 'DataCloneError' }),
      );
      // What moves instead: `transfer()` detaches the reply and gives a buffer of Node's memory.
      // (ES2024: not in this project's TypeScript lib yet)
      const moved = (buffer as ArrayBuffer & { transfer(): ArrayBuffer }).transfer();
      port1.postMessage(moved, [moved]);
      expect([reply.byteLength, moved.byteLength]).toEqual([0, 0]);
      expect(sameBytes(received(), new Uint8Array(SIZE).fill(9))).toBe(true);
    } else {
      port1.postMessage(buffer, [buffer]);
      expect(reply.byteLength, 'the reply stays whole: the receiver got a copy').toBe(SIZE);
      expect(sameBytes(received(), new Uint8Array(SIZE).fill(9))).toBe(true);
    }
    port1.close();
    channel.close();
  });

  it('a released block makes room by unmapping the blocks kept longest: after many small replies, a large one is still kept and reused', async () => {
    const addon = helper();
    // Blocks made and dropped at once (in a frame of their own: nothing of the test's refers to them).
    const blocksDropped = (count: number, length: number) => {
      for (let i = 0; i < count; i++) addon.block(length);
    };
    addon.trim();
    // Every slot taken by small blocks that no later reply reuses.
    const start = replyMemoryStats()!;
    blocksDropped(256, SIZE);
    const before = await keptSince(start, 256);
    const big = 4 * 1024 * 1024;
    blocksDropped(1, big);
    const released = await keptSince(before, 1);
    // Late blocks of earlier tests may be counted in `kept` and `unmapped` too; `mapped` is ours.
    expect(released.mapped - before.mapped).toBe(1);
    expect(
      released.unmapped - before.unmapped,
      'a block kept longer made room',
    ).toBeGreaterThanOrEqual(1);
    // Kept in place of smaller blocks: more bytes kept than before it came back.
    expect(released.keptBytes, 'the large block is kept').toBeGreaterThan(before.keptBytes);
    blocksDropped(1, big);
    expect(replyMemoryStats()!.mapped - released.mapped, 'reused, not mapped fresh').toBe(0);
  });

  it('a burst of large replies gets a reserve that ends with the trim; replies covered by it and freed after the trim give nothing back', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child);
    const echo = async (seed: number) => {
      const reply = await channel.request(new Uint8Array(SIZE).fill(seed));
      expect(sameBytes(reply, new Uint8Array(SIZE).fill(seed)), `echo ${seed}`).toBe(true);
      return reply;
    };
    helper().trim();
    let held: Uint8Array[] | undefined = [await echo(1), await echo(2)];
    const burst = replyMemoryStats()!;
    expect(burst.reserveBytes, 'a reserve of several replies').toBeGreaterThanOrEqual(4 * SIZE);
    expect(burst.coveredBytes, 'both replies in it').toBeGreaterThanOrEqual(2 * SIZE);
    // The trim ends the burst while covered replies still live; they are freed after it (on
    // Node 22 and later, V8 aborts the process if its external-memory count would go below zero).
    helper().trim();
    expect(replyMemoryStats()!.reserveBytes).toBe(0);
    held = undefined;
    for (let i = 0; i < 200 && replyMemoryStats()!.coveredBytes > 0; i++) {
      await collect();
      await sleep(10);
    }
    expect(held).toBeUndefined();
    expect(replyMemoryStats()!).toMatchObject({ reserveBytes: 0, coveredBytes: 0 });
    // A new burst gets a new reserve, and its replies keep their bytes.
    await echo(3);
    expect(replyMemoryStats()!.reserveBytes).toBe(burst.reserveBytes);
    helper().trim();
    channel.close();
  });

  it('the helper refuses a length that is not an integer from 1 to 1 GiB', () => {
    for (const length of [0, -1, 1.5, Number.NaN, 2 ** 31, '4096', undefined])
      expect(() => helper().block(length as number), String(length)).toThrow(RangeError);
    const block = helper().block(REPLY_MEMORY_MIN);
    expect(block instanceof ArrayBuffer && block.byteLength).toBe(REPLY_MEMORY_MIN);
  });

  it('a host in a worker thread reads into memory from Node: a reply moved to another thread outlives the worker', () => {
    // Node frees a worker's external buffers when it exits, also memory that `transfer()` and
    // `postMessage` moved to another thread: a block reused then would change bytes a view still shows.
    const core = JSON.stringify(pathToFileURL(join(CORE, 'dist', 'index.js')).href);
    const echo = JSON.stringify(fixture('echo.mjs'));
    const echoes = `async function echoes(count) {
      const { spawn } = require('node:child_process');
      const { FramedChannel } = await import(${core});
      const child = spawn(process.execPath, [${echo}], {
        stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, UMD_PROTOCOL: 'framed' } });
      const channel = FramedChannel.fromChild(child);
      const replies = [];
      for (let i = 1; i <= count; i++) replies.push(await channel.request(new Uint8Array(${SIZE}).fill(i)));
      channel.close();
      child.kill();
      return replies;
    }`;
    const worker = `${echoes}; echoes(4).then((replies) => {
      const moved = replies[3].buffer.transfer?.() ?? replies[3].buffer;
      require('node:worker_threads').parentPort.postMessage(moved, [moved]);
      process.exit(0);
    });`;
    const host = `${echoes}; let moved;
      new (require('node:worker_threads').Worker)(${JSON.stringify(worker)}, { eval: true })
        .on('message', (buffer) => (moved = new Uint8Array(buffer)))
        .on('exit', async (code) => {
          await echoes(6);
          console.log(code, moved.byteLength, moved.every((byte) => byte === 4));
        });`;
    const run = spawnSync(process.execPath, ['-e', host], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, NODE_DEBUG: 'umd' },
    });
    expect([run.status, run.signal, run.stdout]).toEqual([0, null, `0 ${SIZE} true\n`]);
    expect(run.stderr).toMatch(/reply memory: not in a worker thread/);
    expect(run.stderr).toMatch(/reply memory: replies of \d+ bytes and more in blocks/);
  });
});
