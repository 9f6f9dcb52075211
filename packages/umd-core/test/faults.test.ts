import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_MAX_PAYLOAD,
  FrameDecoder,
  FramedChannel,
  FrameType,
  RawChannel,
  decodeErrorPayload,
  encodeFrame,
  encodeFrameHeader,
} from '../src/index.js';
import { compileC } from './helpers/compile.js';
import { fixture, reapAfterEach, spawnHandler } from './helpers/handlers.js';

reapAfterEach();

const bytes = (text: string) => new TextEncoder().encode(text);

/** Starts a framed fixture and waits for its HELLO, however long a start takes under load. */
async function start(name: string, env: Record<string, string> = {}) {
  const handler = spawnHandler(fixture(name), 'framed', env);
  const channel = FramedChannel.fromChild(handler.child);
  await channel.waitForHello();
  return { handler, channel };
}

describe('faulty handlers end in typed errors within the timeout', () => {
  it('a handler that exits mid-reply: UMD_HANDLER_EXITED with its exit code', async () => {
    const { channel } = await start('exit-mid-reply.mjs');
    await expect(channel.request(bytes('x'), { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'UMD_HANDLER_EXITED',
      exitCode: 3,
      message: expect.stringContaining('in the middle of a frame'),
    });
  });

  it('a handler that writes garbage: UMD_PROTOCOL naming the bad magic, and the handler is killed', async () => {
    const { handler, channel } = await start('garbage.mjs');
    await expect(channel.request(bytes('x'), { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringContaining('bad magic bytes 53 65 67 6d'),
    });
    expect(await handler.exited).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('a handler that writes half a header and hangs: UMD_TIMEOUT, then it is stopped', async () => {
    const { handler, channel } = await start('half-header.mjs');
    // The call's timer is faked: it fails at its 300 ms and not before, however late a loaded
    // machine runs the handler or this test (a bound on the wall time here could not hold).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      let settled = false;
      const call = channel.request(bytes('x'), { timeoutMs: 300 });
      void call
        .catch(() => {})
        .finally(() => {
          settled = true;
        });
      await handler.stderrHolding('half a header written');
      await vi.advanceTimersByTimeAsync(299);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await expect(call).rejects.toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    } finally {
      vi.useRealTimers();
    }
    // What a manager does with a handler that stopped answering: close and kill (afterEach checks /proc).
    channel.close();
  });

  it('a handler that never says HELLO: waitForHello fails with UMD_TIMEOUT', async () => {
    const handler = spawnHandler(fixture('no-hello.mjs'), 'framed');
    const channel = FramedChannel.fromChild(handler.child);
    await expect(channel.waitForHello({ timeoutMs: 300 })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    // Requests queued meanwhile fail when the channel is closed, they never hang.
    const queued = channel.request(bytes('x'));
    channel.close();
    await expect(queued).rejects.toMatchObject({ code: 'UMD_CLOSED' });
  });

  it('a reply header over the host limit (64 MiB + 1): UMD_PROTOCOL from the header alone', async () => {
    const { handler, channel } = await start('oversized-reply.mjs');
    await expect(channel.request(bytes('x'), { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringContaining(
        `payload length ${DEFAULT_MAX_PAYLOAD + 1} of REPLY frame 1 exceeds the maximum of ${DEFAULT_MAX_PAYLOAD}`,
      ),
    });
    expect(await handler.exited).toMatchObject({ signal: 'SIGKILL' });
  });

  it('raw mode: a handler that exits before the whole reply: UMD_SHORT_READ with its exit code', async () => {
    const handler = spawnHandler(fixture('short-raw.mjs'), 'raw');
    const channel = RawChannel.fromChild(handler.child);
    // No timeout of its own: the exchange includes the handler's start, which load can slow.
    await expect(channel.exchange(new Uint8Array(8), 128 * 1024)).rejects.toMatchObject({
      code: 'UMD_SHORT_READ',
      exitCode: 4,
      message: expect.stringContaining('100 of 131072'),
    });
  });

  it('raw mode: a reply that never comes: UMD_TIMEOUT, the stream is poisoned and the handler killed', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'raw', { ECHO_REQUEST_SIZE: '16' });
    const channel = RawChannel.fromChild(handler.child);
    await expect(channel.exchange(new Uint8Array(8), 8, { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
      timedOut: true,
    });
    expect(channel.closed).toBe(true);
    expect(await handler.exited).toMatchObject({ signal: 'SIGKILL' });
  });
});

describe('the JS handler runtime over a real pipe', () => {
  it('turns HandlerError and plain throws into ERROR frames', async () => {
    const { channel } = await start('echo.mjs');
    await expect(channel.request(bytes('!fail -22'))).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
    });
    await expect(channel.request(bytes('!throw'))).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -5,
      message: expect.stringContaining('plain throw'),
    });
    expect(new TextDecoder().decode(await channel.request(bytes('still fine')))).toBe('still fine');
  });

  it('sends stray console.log and process.stdout.write output to stderr, not into the stream', async () => {
    const { handler, channel } = await start('echo.mjs');
    expect(new TextDecoder().decode(await channel.request(bytes('!print')))).toBe('!print');
    expect(new TextDecoder().decode(await channel.request(bytes('after print')))).toBe(
      'after print',
    );
    await handler.stderrHolding('stray console.log output');
    await handler.stderrHolding('stray process.stdout.write output');
  });

  it('aborts context.signal on CANCEL and keeps serving', async () => {
    const { handler, channel } = await start('echo.mjs', { ECHO_CONCURRENCY: '2' });
    await expect(channel.request(bytes('!hang 1'), { timeoutMs: 100 })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    const controller = new AbortController();
    const aborted = channel.request(bytes('!hang 2'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(aborted).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    expect(new TextDecoder().decode(await channel.request(bytes('next')))).toBe('next');
    await handler.stderrHolding(/cancelled !hang 1\ncancelled !hang 2\n/);
  });

  it('finishes in-flight work at end of input, then exits 0', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const decoder = new FrameDecoder();
    const frames: ReturnType<FrameDecoder['push']> = [];
    handler.child.stdout!.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    handler.child.stdin!.end(encodeFrame(FrameType.Request, 1, bytes('!sleep 200')));
    expect(await handler.exited).toEqual({ code: 0, signal: null });
    expect(frames.map((frame) => [frame.type, frame.id])).toEqual([
      [FrameType.Hello, 0],
      [FrameType.Reply, 1],
    ]);
  });

  it('refuses to run in the wrong mode, before writing anything to fd 1', async () => {
    const handler = spawnHandler(fixture('framed-only.mjs'), 'raw');
    let stdout = 0;
    handler.child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.byteLength));
    const { code } = await handler.exited;
    expect(code).not.toBe(0);
    expect(stdout).toBe(0);
    await handler.stderrHolding('serve() speaks the framed protocol but UMD_PROTOCOL is "raw"');
  });

  it('exits 2 when the host breaks the protocol', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    handler.child.stdin!.write(encodeFrame(FrameType.Reply, 1, bytes('hosts do not reply')));
    expect(await handler.exited).toEqual({ code: 2, signal: null });
    await handler.stderrHolding('unexpected REPLY frame');
  });

  it('answers a request cancelled before it started with ERROR -125', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    const decoder = new FrameDecoder();
    const frames: ReturnType<FrameDecoder['push']> = [];
    handler.child.stdout!.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
    handler.child.stdin!.end(
      Buffer.concat([
        encodeFrame(FrameType.Request, 1, bytes('!sleep 100')),
        encodeFrame(FrameType.Request, 2, bytes('queued')),
        encodeFrame(FrameType.Cancel, 2),
      ]),
    );
    expect(await handler.exited).toEqual({ code: 0, signal: null });
    const answers = frames.slice(1).map((frame) => [frame.type, frame.id]);
    expect(answers).toEqual([
      [FrameType.Error, 2],
      [FrameType.Reply, 1],
    ]);
    expect(decodeErrorPayload(frames[1]!.payload).code).toBe(-125);
  });
});

describe('a payload one byte over the limit is refused on both sides', () => {
  it('host side: UMD_TOO_LARGE before sending, the handler stays usable', async () => {
    const { channel } = await start('echo.mjs');
    await expect(channel.request(new Uint8Array(DEFAULT_MAX_PAYLOAD + 1))).rejects.toMatchObject({
      code: 'UMD_TOO_LARGE',
    });
    expect((await channel.request(new Uint8Array(3))).byteLength).toBe(3);
  });

  it('handler side: a REQUEST header over its limit is a protocol error before any payload byte', async () => {
    const handler = spawnHandler(fixture('echo.mjs'), 'framed');
    // Only the header goes out: the handler must refuse it without waiting for (or buffering) 64 MiB.
    handler.child.stdin!.write(encodeFrameHeader(FrameType.Request, 1, DEFAULT_MAX_PAYLOAD + 1));
    expect(await handler.exited).toEqual({ code: 2, signal: null });
    await handler.stderrHolding(
      `protocol error: payload length ${DEFAULT_MAX_PAYLOAD + 1} of REQUEST frame 1 exceeds the maximum of ${DEFAULT_MAX_PAYLOAD}`,
    );
  });
});

describe('the C fixture refuses like the JS runtime', () => {
  let echoC: Awaited<ReturnType<typeof compileC>>;
  beforeAll(async () => {
    echoC = await compileC(fixture('echo.c'), 'echo-c');
  });
  afterAll(() => echoC?.cleanup());

  it('a REQUEST header over its limit: protocol error from the header alone, exit 2', async () => {
    const handler = spawnHandler(echoC.executable, 'framed');
    handler.child.stdin!.write(encodeFrameHeader(FrameType.Request, 1, DEFAULT_MAX_PAYLOAD + 1));
    expect(await handler.exited).toEqual({ code: 2, signal: null });
    await handler.stderrHolding(
      `protocol error: payload length ${DEFAULT_MAX_PAYLOAD + 1} of frame 1 exceeds the maximum of ${DEFAULT_MAX_PAYLOAD}`,
    );
  });

  it('the host refuses a request over the C handler HELLO limit with UMD_TOO_LARGE', async () => {
    const handler = spawnHandler(echoC.executable, 'framed', { ECHO_MAX_PAYLOAD: '1000' });
    const channel = FramedChannel.fromChild(handler.child);
    expect(await channel.waitForHello()).toEqual({
      version: 1,
      maxPayload: 1000,
      name: 'echo-c',
    });
    await expect(channel.request(new Uint8Array(1001))).rejects.toMatchObject({
      code: 'UMD_TOO_LARGE',
    });
    expect((await channel.request(new Uint8Array(1000))).byteLength).toBe(1000);
    channel.close();
    expect(await handler.exited).toEqual({ code: 0, signal: null });
  });
});
