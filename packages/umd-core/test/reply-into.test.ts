import { describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { FramedChannel, RawChannel, type ReplySocket } from '../src/index.js';
import {
  echoHandlers,
  fixture,
  pattern,
  reapAfterEach,
  sameBytes,
  type SpawnedHandler,
  spawnHandler,
  spawnWithReplySocket,
} from './helpers/handlers.js';
import { KiB, MiB } from './helpers/sizes.js';

// `replyInto`: replies read into the caller's own buffer, over a stdio pipe and a reply socket,
// from the JS and the C echo handler; the buffer is the caller's again the moment a call settles.
const SIZES = [0, 1, 64, 16 * KiB, 64 * KiB + 1, MiB, 16 * MiB];

reapAfterEach();

/** Spawns `file` with its replies coming over a reply socket, or else over its stdout pipe. */
async function start(
  file: string,
  mode: 'framed' | 'raw',
  viaSocket: boolean,
  env: Record<string, string> = {},
): Promise<{ handler: SpawnedHandler; replySocket?: ReplySocket }> {
  if (viaSocket) return spawnWithReplySocket(file, mode, env);
  return { handler: spawnHandler(file, mode, env) };
}

const handlers = echoHandlers('echo-c-into');

for (const { lang, file } of handlers) {
  for (const viaSocket of [false, true]) {
    describe(`replyInto, ${lang} echo handler, ${viaSocket ? 'reply socket' : 'stdio pipe'}`, () => {
      it('framed: each reply lands in the caller buffer; one that does not fit gets a fresh buffer', async () => {
        const { handler, replySocket } = await start(file(), 'framed', viaSocket);
        const channel = FramedChannel.fromChild(handler.child, { replySocket });
        const into = new Uint8Array(16 * MiB + 100).fill(0xee);
        for (const size of SIZES) {
          const payload = pattern(size, size);
          const reply = await channel.request(payload, { replyInto: into, timeoutMs: 20_000 });
          expect(sameBytes(reply, payload), `echo of ${size} bytes`).toBe(true);
          expect(
            reply.buffer === into.buffer && reply.byteOffset === into.byteOffset,
            `${size} bytes read into the caller buffer`,
          ).toBe(true);
        }
        expect(into[16 * MiB]).toBe(0xee); // nothing written past the reply
        const small = new Uint8Array(10);
        const big = pattern(100 * KiB, 3);
        const reply = await channel.request(big, { replyInto: small, timeoutMs: 20_000 });
        expect(sameBytes(reply, big)).toBe(true);
        expect(reply.buffer === small.buffer).toBe(false);
        expect(small).toEqual(new Uint8Array(10));
        channel.close();
        expect(await handler.exited).toEqual({ code: 0, signal: null });
      }, 60_000);

      it('raw: the reply lands in the caller buffer, which is reused across exchanges', async () => {
        const size = MiB;
        const { handler, replySocket } = await start(file(), 'raw', viaSocket, {
          ECHO_REQUEST_SIZE: String(size),
        });
        const channel = RawChannel.fromChild(handler.child, { replySocket });
        const into = new Uint8Array(size + 1);
        for (let round = 0; round < 3; round++) {
          const payload = pattern(size, round);
          const reply = await channel.exchange(payload, size, { replyInto: into });
          expect(reply.buffer === into.buffer, 'read into the caller buffer').toBe(true);
          expect(sameBytes(reply, payload), `round ${round}`).toBe(true);
        }
        channel.close();
        expect(await handler.exited).toEqual({ code: 0, signal: null });
      }, 60_000);
    });
  }
}

describe('replyInto, argument checks', () => {
  it('refuses a buffer that overlaps the payload, or a raw one too small, sending nothing', async () => {
    const { handler } = await start(fixture('echo.mjs'), 'raw', false, { ECHO_REQUEST_SIZE: '64' });
    const channel = RawChannel.fromChild(handler.child);
    const shared = new Uint8Array(256);
    await expect(
      channel.exchange(shared.subarray(0, 64), 64, { replyInto: shared.subarray(32, 96) }),
    ).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    await expect(
      channel.exchange(pattern(64), 64, { replyInto: new Uint8Array(63) }),
    ).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    await expect(
      channel.exchange(pattern(64), 64, { replyInto: [] as unknown as Uint8Array }),
    ).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    // Nothing went out: the stream is still in step.
    expect(
      sameBytes(
        await channel.exchange(pattern(64), 64, {
          replyInto: shared.subarray(64, 128),
          timeoutMs: 10_000,
        }),
        pattern(64),
      ),
    ).toBe(true);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 20_000);
});

/** Waits until the first half of a reply has landed in `into` (the split-reply fixture sends the rest once the host writes again). */
async function firstHalfIn(into: Uint8Array): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (into[MiB] === 0 && Date.now() < deadline) await sleep(10);
  expect(into[MiB]).not.toBe(0);
}

/** A 4 MiB request read into the caller's buffer, abortable, once half its reply has landed. */
async function halfReplied(channel: FramedChannel) {
  const into = new Uint8Array(4 * MiB);
  const controller = new AbortController();
  const first = channel.request(pattern(4 * MiB, 9), {
    replyInto: into,
    signal: controller.signal,
  });
  await firstHalfIn(into);
  return { into, controller, first };
}

/** Makes a reply socket look like one on a Node without the handle call that re-arms reads. */
function withoutRearm(replySocket: ReplySocket): ReplySocket {
  const handle = (replySocket.hostEnd as unknown as { _handle: { useUserBuffer?: unknown } })
    ._handle;
  handle.useUserBuffer = undefined;
  return replySocket;
}

/** A started fixture's reply socket, made to look unable to re-arm reads unless `rearm`. */
function replySocketOf(started: { replySocket?: ReplySocket }, rearm: boolean) {
  return started.replySocket && !rearm ? withoutRearm(started.replySocket) : started.replySocket;
}

/** The framed split-reply fixture over the given transport, past its HELLO. */
async function startFramedSplit(viaSocket: boolean, rearm: boolean, maxInFlight?: number) {
  const started = await start(fixture('split-reply.mjs'), 'framed', viaSocket);
  const channel = FramedChannel.fromChild(started.handler.child, {
    replySocket: replySocketOf(started, rearm),
    maxPayload: 16 * MiB,
    maxInFlight,
  });
  await channel.waitForHello();
  return { handler: started.handler, channel };
}

/** The raw split-reply fixture echoing requests of `size` bytes, over the given transport. */
async function startRawSplit(size: number, viaSocket: boolean, rearm: boolean) {
  const started = await start(fixture('split-reply.mjs'), 'raw', viaSocket, {
    ECHO_REQUEST_SIZE: String(size),
  });
  return {
    handler: started.handler,
    channel: RawChannel.fromChild(started.handler.child, {
      replySocket: replySocketOf(started, rearm),
    }),
  };
}

/** A raw split-reply exchange into a caller buffer, aborted once the first half is in. */
async function rawAbortedHalfWay(size: number, viaSocket: boolean, rearm: boolean) {
  const { handler, channel } = await startRawSplit(size, viaSocket, rearm);
  const into = new Uint8Array(size);
  const controller = new AbortController();
  const exchange = channel.exchange(pattern(size, 9), size, {
    replyInto: into,
    signal: controller.signal,
  });
  await firstHalfIn(into);
  controller.abort();
  await expect(exchange).rejects.toMatchObject({ code: 'UMD_ABORTED' });
  return { handler, channel, into };
}

const transports = [
  { name: 'stdio pipe', viaSocket: false, rearm: true },
  { name: 'reply socket', viaSocket: true, rearm: true },
  { name: 'reply socket that cannot re-arm (copies instead)', viaSocket: true, rearm: false },
];

for (const { name, viaSocket, rearm } of transports) {
  it(`framed, ${name}: after an abort mid-reply, the caller buffer is never written again`, async () => {
    const { handler, channel } = await startFramedSplit(viaSocket, rearm);
    const { into, controller, first } = await halfReplied(channel);
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    into.fill(0x11); // the caller's again
    // The next request is answered after the late rest of the first reply, which must be dropped.
    const next = await channel.request(pattern(1000, 5), { timeoutMs: 10_000 });
    expect(sameBytes(next, pattern(1000, 5))).toBe(true);
    expect(into.every((byte) => byte === 0x11)).toBe(true);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 20_000);
}

for (const { name, viaSocket, rearm } of transports) {
  it(`raw, ${name}: an abort mid-reply fails that exchange alone; the rest is dropped, never written to the caller buffer`, async () => {
    const size = 4 * MiB;
    const { handler, channel, into } = await rawAbortedHalfWay(size, viaSocket, rearm);
    into.fill(0x11); // the caller's again
    // The next exchange waits for the rest of the first reply, which is read and dropped.
    const next = channel.exchange(pattern(size, 5), size, { timeoutMs: 10_000 });
    handler.child.kill('SIGUSR2');
    expect(sameBytes(await next, pattern(size, 5))).toBe(true);
    expect(into.every((byte) => byte === 0x11)).toBe(true);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 20_000);
}

it('raw: a later exchange that times out while an aborted reply is still missing closes the channel', async () => {
  const size = 4 * MiB;
  const { handler, channel } = await rawAbortedHalfWay(size, false, true);
  // The handler never sends the rest (no SIGUSR2): nobody waits for it, so the channel gives up.
  const next = channel.exchange(pattern(size, 5), size, { timeoutMs: 300 });
  await expect(next).rejects.toMatchObject({ code: 'UMD_TIMEOUT' });
  expect(channel.closed).toBe(true);
  expect((await handler.exited).signal).toBe('SIGKILL');
}, 20_000);

for (const { name, viaSocket } of transports.filter((transport) => transport.rearm)) {
  it.each(['aborted', 'waited for'])(
    `framed, ${name}: a caller buffer transferred mid-reply fails its own call (%s) alone`,
    async (how) => {
      // Two in flight: the next request goes out while the first waits for the rest of its reply.
      const { handler, channel } = await startFramedSplit(viaSocket, true, 2);
      const { into, controller, first } = await halfReplied(channel);
      // The caller's mistake: it gives the buffer away mid-call. (The moved memory stays alive
      // here: a read armed with it before the transfer may still land there.)
      const moved = structuredClone(into.buffer, { transfer: [into.buffer] });
      if (how === 'aborted') controller.abort();
      // The next request brings the rest of the first reply, then its own.
      const next = channel.request(pattern(1000, 5), { timeoutMs: 10_000 });
      await expect(first).rejects.toMatchObject({
        code: how === 'aborted' ? 'UMD_ABORTED' : 'UMD_INVALID_ARGUMENT',
      });
      expect(sameBytes(await next, pattern(1000, 5))).toBe(true);
      expect(moved.byteLength).toBe(4 * MiB);
      channel.close();
      expect(await handler.exited).toEqual({ code: 0, signal: null });
    },
    20_000,
  );
}

for (const { name, viaSocket, rearm } of transports) {
  it(`raw, ${name}: a caller buffer transferred mid-reply fails that exchange alone`, async () => {
    const size = 4 * MiB;
    const { handler, channel } = await startRawSplit(size, viaSocket, rearm);
    const into = new Uint8Array(size);
    const first = channel.exchange(pattern(size, 9), size, { replyInto: into });
    await firstHalfIn(into);
    // The caller's mistake, not the handler's: the rest of the reply is read and dropped.
    const moved = structuredClone(into.buffer, { transfer: [into.buffer] });
    handler.child.kill('SIGUSR2'); // the rest of the first reply
    await expect(first).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    const next = await channel.exchange(pattern(size, 5), size, { timeoutMs: 10_000 });
    expect(sameBytes(next, pattern(size, 5))).toBe(true);
    expect(moved.byteLength).toBe(size);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  }, 20_000);
}
