import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameType } from '../codec/constants.js';
import { encodeErrorPayload } from '../codec/error-payload.js';
import { encodeFrame, type Frame } from '../codec/frame.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { encodeHello } from '../codec/hello.js';
import { FramedChannel } from './framed-channel.js';

/** A scripted handler: the test reads the host's frames and writes whatever frames it likes. */
function scripted(options: ConstructorParameters<typeof FramedChannel>[2] = {}) {
  const toHost = new PassThrough();
  const toHandler = new PassThrough();
  const decoder = new FrameDecoder();
  const received: Frame[] = [];
  toHandler.on('data', (chunk: Buffer) => received.push(...decoder.push(chunk)));
  const channel = new FramedChannel(toHost, toHandler, options);
  const closes: unknown[] = [];
  channel.on('close', (reason) => closes.push(reason));
  return {
    channel,
    received,
    closes,
    toHost,
    toHandler,
    hello: (maxPayload = 1 << 20) =>
      toHost.write(
        encodeFrame(FrameType.Hello, 0, encodeHello({ version: 1, maxPayload, name: 'scripted' })),
      ),
    reply: (id: number, payload: Uint8Array) =>
      toHost.write(encodeFrame(FrameType.Reply, id, payload)),
  };
}

/** A stream to the handler that holds each write (64-byte buffer) until `release()`. */
function heldWrites() {
  const chunks: Buffer[] = [];
  let held: (() => void) | undefined;
  const output = new Writable({
    highWaterMark: 64,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      held = callback;
    },
  });
  /** Completes the held write; false when none was held. */
  const release = (): boolean => {
    const next = held;
    held = undefined;
    next?.();
    return next !== undefined;
  };
  return { output, chunks, release };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const bytes = (text: string) => new TextEncoder().encode(text);

/** Past HELLO: request 1, abortable with `controller`, and request 2 behind it, both sent. */
async function slowThenNext() {
  const s = scripted();
  s.hello();
  const controller = new AbortController();
  const pending = s.channel.request(bytes('slow'), { signal: controller.signal });
  const next = s.channel.request(bytes('next'));
  await tick();
  return { s, controller, pending, next };
}

/** What the handler receives when request 1 of {@link slowThenNext} is given up. */
const CANCELLED_THEN_NEXT = [
  [FrameType.Request, 1],
  [FrameType.Cancel, 1],
  [FrameType.Request, 2],
];

describe('FramedChannel', () => {
  it('waits for HELLO before sending, then uses fresh ids', async () => {
    const s = scripted();
    const first = s.channel.request(bytes('a'));
    await tick();
    expect(s.received).toEqual([]);
    s.hello();
    expect(await s.channel.waitForHello()).toEqual({
      version: 1,
      maxPayload: 1 << 20,
      name: 'scripted',
    });
    await tick();
    expect(s.received).toEqual([{ type: FrameType.Request, id: 1, payload: bytes('a') }]);
    s.reply(1, bytes('A'));
    expect(await first).toEqual(bytes('A'));
    const second = s.channel.request(bytes('b'));
    await tick();
    expect(s.received[1]).toMatchObject({ type: FrameType.Request, id: 2 });
    s.reply(2, bytes('B'));
    expect(await second).toEqual(bytes('B'));
  });

  it('keeps at most maxInFlight requests sent and matches out-of-order replies by id', async () => {
    const s = scripted({ maxInFlight: 2 });
    s.hello();
    const replies = [0, 1, 2, 3, 4].map((i) => s.channel.request(Uint8Array.of(i)));
    await tick();
    expect(s.received.map((frame) => frame.id)).toEqual([1, 2]);
    expect(s.channel.inFlight).toBe(2);
    expect(s.channel.queued).toBe(3);
    s.reply(2, Uint8Array.of(21));
    await tick();
    expect(s.received.map((frame) => frame.id)).toEqual([1, 2, 3]);
    s.reply(1, Uint8Array.of(11));
    s.reply(3, Uint8Array.of(31));
    await tick();
    s.reply(5, Uint8Array.of(51));
    s.reply(4, Uint8Array.of(41));
    expect(await Promise.all(replies)).toEqual([11, 21, 31, 41, 51].map((n) => Uint8Array.of(n)));
  });

  it('turns an ERROR frame into UMD_HANDLER_ERROR with the handler code and message', async () => {
    const s = scripted();
    s.hello();
    const pending = s.channel.request(bytes('x'));
    await tick();
    s.toHost.write(encodeFrame(FrameType.Error, 1, encodeErrorPayload(-22, 'bad table')));
    await expect(pending).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
      requestId: 1,
      message: expect.stringContaining('bad table'),
    });
    expect(s.channel.closed).toBe(false);
  });

  // Found by trying it: a handler's ERROR message (up to maxPayload) reached error.message
  // whole, terminal escapes included, though the handler is less trusted than the host's logs.
  it("keeps a handler's ERROR message and name out of the host's terminal: no control character, bounded", async () => {
    const s = scripted();
    s.toHost.write(
      encodeFrame(
        FrameType.Hello,
        0,
        encodeHello({
          version: 1,
          maxPayload: 1 << 20,
          name: `evil\u001b]0;pwned\u0007${'n'.repeat(500)}`,
        }),
      ),
    );
    const pending = s.channel.request(bytes('x'));
    await tick();
    const message = `\u001b[2J\u001b[31mforged\nlog line\r${'m'.repeat(1 << 20)}`;
    s.toHost.write(encodeFrame(FrameType.Error, 1, encodeErrorPayload(-5, message)));
    const error = (await pending.catch((e: unknown) => e)) as Error & { code: string };
    expect(error.code).toBe('UMD_HANDLER_ERROR');
    expect(error.message).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(error.message).toContain('?[2J?[31mforged?log line?mmm');
    expect(error.message.length).toBeLessThan(1400);
    expect(s.channel.closed).toBe(false);
  });

  it('refuses a payload over the HELLO limit with UMD_TOO_LARGE, sending nothing', async () => {
    const s = scripted();
    s.hello(10);
    await expect(s.channel.request(new Uint8Array(11))).rejects.toMatchObject({
      code: 'UMD_TOO_LARGE',
    });
    expect(
      await (async () => {
        const ok = s.channel.request(new Uint8Array(10));
        await tick();
        s.reply(1, new Uint8Array(0));
        return ok;
      })(),
    ).toEqual(new Uint8Array(0));
    expect(s.received.map((frame) => frame.payload.byteLength)).toEqual([10]);
  });

  it('aborts a queued request without sending it', async () => {
    const s = scripted();
    const controller = new AbortController();
    const pending = s.channel.request(bytes('q'), { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    s.hello();
    await tick();
    expect(s.received).toEqual([]);
    await expect(
      s.channel.request(bytes('z'), { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({ code: 'UMD_ABORTED' });
  });

  it('cancels a sent request on abort, drops its late reply and goes on', async () => {
    const { s, controller, pending, next } = await slowThenNext();
    controller.abort(new Error('user gave up'));
    await expect(pending).rejects.toMatchObject({ code: 'UMD_ABORTED', requestId: 1 });
    await tick();
    expect(s.received.map((frame) => [frame.type, frame.id])).toEqual(CANCELLED_THEN_NEXT);
    s.reply(1, bytes('late'));
    s.reply(2, bytes('NEXT'));
    expect(await next).toEqual(bytes('NEXT'));
    expect(s.channel.closed).toBe(false);
  });

  it('a signal that fires with a TimeoutError (AbortSignal.timeout) is UMD_TIMEOUT, cancelled like an abort', async () => {
    const { s, controller, pending, next } = await slowThenNext();
    const reason = new DOMException('too slow', 'TimeoutError');
    controller.abort(reason);
    await expect(pending).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
      timedOut: true,
      requestId: 1,
      cause: reason,
    });
    await tick();
    expect(s.received.map((frame) => [frame.type, frame.id])).toEqual(CANCELLED_THEN_NEXT);
    s.reply(2, bytes('NEXT'));
    expect(await next).toEqual(bytes('NEXT'));
    // Already fired before the call: refused at once, the same way.
    const fired = AbortSignal.abort(reason);
    await expect(s.channel.request(bytes('x'), { signal: fired })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    expect(s.channel.closed).toBe(false);
  });

  it('times out with UMD_TIMEOUT (timedOut) and sends CANCEL', async () => {
    const s = scripted();
    s.hello();
    const pending = s.channel.request(bytes('t'), { timeoutMs: 20 });
    await expect(pending).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
      timedOut: true,
      requestId: 1,
    });
    await tick();
    expect(s.received.map((frame) => frame.type)).toEqual([FrameType.Request, FrameType.Cancel]);
    s.toHost.write(encodeFrame(FrameType.Error, 1, encodeErrorPayload(-125, 'cancelled')));
    await tick();
    expect(s.channel.closed).toBe(false);
  });

  it('closes with UMD_PROTOCOL on a reply for an id never sent, failing every request at once', async () => {
    const s = scripted({ maxInFlight: 2 });
    s.hello();
    const all = [1, 2, 3].map((i) => s.channel.request(Uint8Array.of(i)));
    await tick();
    s.reply(9, bytes('?'));
    const results = await Promise.allSettled(all);
    expect(results.map((result) => result.status === 'rejected' && result.reason.code)).toEqual([
      'UMD_PROTOCOL',
      'UMD_PROTOCOL',
      'UMD_PROTOCOL',
    ]);
    expect(
      results.map((result) => result.status === 'rejected' && result.reason.requestId),
    ).toEqual([1, 2, undefined]);
    expect(s.closes).toHaveLength(1);
    expect(s.closes[0]).toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringContaining('id 9'),
    });
    await expect(s.channel.request(bytes('after'))).rejects.toMatchObject({ code: 'UMD_PROTOCOL' });
  });

  it('closes with UMD_PROTOCOL when the first frame is not HELLO, or on a second HELLO', async () => {
    const s = scripted();
    const hello = s.channel.waitForHello();
    s.reply(1, bytes('x'));
    await expect(hello).rejects.toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringContaining('expected HELLO'),
    });
    const t = scripted();
    t.hello();
    t.hello();
    await tick();
    expect(t.closes[0]).toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringContaining('unexpected HELLO'),
    });
  });

  it('refuses a reply header over maxPayload before its payload arrives', async () => {
    const s = scripted({ maxPayload: 100 });
    s.hello();
    const pending = s.channel.request(bytes('x'));
    await tick();
    s.toHost.write(encodeFrame(FrameType.Reply, 1, new Uint8Array(101)).subarray(0, 16));
    await expect(pending).rejects.toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringMatching(/101.*exceeds the maximum of 100/),
    });
  });

  it('waitForHello times out, aborts, and rejects with the close reason', async () => {
    const s = scripted();
    await expect(s.channel.waitForHello({ timeoutMs: 10 })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
      timedOut: true,
    });
    await expect(s.channel.waitForHello({ signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'UMD_ABORTED',
    });
    const waiting = s.channel.waitForHello();
    s.toHost.end();
    await expect(waiting).rejects.toMatchObject({ code: 'UMD_CLOSED' });
  });

  it('close() rejects pending and queued requests with the reason, once, and ends the output', async () => {
    const s = scripted();
    s.hello();
    const sent = s.channel.request(bytes('1'));
    const queued = s.channel.request(bytes('2'));
    await tick();
    const reason = new (await import('../errors/umd-error.js')).UmdError(
      'UMD_STOPPED',
      'manager stopped',
      { pid: 42 },
    );
    s.channel.close(reason);
    s.channel.close();
    await expect(sent).rejects.toMatchObject({ code: 'UMD_STOPPED', requestId: 1, pid: 42 });
    await expect(queued).rejects.toMatchObject({ code: 'UMD_STOPPED' });
    expect(s.closes).toEqual([reason]);
    expect(s.toHandler.writableEnded).toBe(true);
    expect(s.channel.closed).toBe(true);
  });

  it('ends with UMD_CLOSED when the input ends, naming a partial frame', async () => {
    const s = scripted();
    s.hello();
    const pending = s.channel.request(bytes('x'));
    await tick();
    s.toHost.end(encodeFrame(FrameType.Reply, 1, bytes('abc')).subarray(0, 10));
    await expect(pending).rejects.toMatchObject({
      code: 'UMD_CLOSED',
      message: expect.stringContaining('10 bytes'),
    });
  });

  it('honours backpressure: stops writing when write() returns false, resumes on drain', async () => {
    const toHost = new PassThrough();
    const { output, chunks, release } = heldWrites();
    const channel = new FramedChannel(toHost, output, { maxInFlight: 10 });
    toHost.write(
      encodeFrame(
        FrameType.Hello,
        0,
        encodeHello({ version: 1, maxPayload: 1 << 20, name: 'slow' }),
      ),
    );
    const pending = [1, 2, 3].map(() => channel.request(new Uint8Array(100)));
    await tick();
    // The first 116-byte frame filled the buffer: the next two wait in the channel, not the stream.
    expect(output.writableLength).toBe(116);
    expect(chunks).toHaveLength(1);
    release();
    await tick();
    expect(chunks).toHaveLength(2);
    release();
    await tick();
    release();
    await tick();
    expect(chunks).toHaveLength(3);
    channel.close();
    await Promise.allSettled(pending);
  });

  it('drops an aborted request that still waits for the stream at once, with no CANCEL', async () => {
    const toHost = new PassThrough();
    const { output, chunks, release } = heldWrites();
    const channel = new FramedChannel(toHost, output, { maxInFlight: 10 });
    toHost.write(
      encodeFrame(FrameType.Hello, 0, encodeHello({ version: 1, maxPayload: 1 << 24, name: 'x' })),
    );
    await channel.waitForHello();
    const first = channel.request(new Uint8Array(100));
    await tick();
    const payload = 1 << 20;
    // Two hundred aborted 1 MiB requests behind a stream that does not drain: none stays queued.
    for (let i = 0; i < 200; i++) {
      const abort = new AbortController();
      const request = channel.request(new Uint8Array(payload), { signal: abort.signal });
      expect(channel.bufferedBytes).toBeGreaterThan(payload);
      abort.abort();
      await expect(request).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    }
    expect(channel.bufferedBytes).toBe(116);
    // The one the stream had is cancelled; the withdrawn ones never reach the handler at all.
    const last = channel.request(bytes('last'));
    while (release()) await tick();
    const decoded = new FrameDecoder().push(Buffer.concat(chunks));
    expect(decoded.map((f) => [f.type, f.id])).toEqual([
      [FrameType.Request, 1],
      [FrameType.Request, 202],
    ]);
    channel.close();
    await Promise.allSettled([first, last]);
  });
  it('never writes into the replyInto of a request that gave up while its reply began in the chunk that ended another', async () => {
    const s = scripted({ maxInFlight: 2 });
    s.hello();
    const controller = new AbortController();
    const first = s.channel.request(bytes('a'));
    const into = new Uint8Array(8).fill(0xee);
    const second = s.channel.request(bytes('b'), { replyInto: into, signal: controller.signal });
    second.catch(() => {});
    await tick();
    // One chunk: the whole reply to 1, then the header and 2 of 8 bytes of the reply to 2.
    const secondFrame = encodeFrame(FrameType.Reply, 2, new Uint8Array(8).fill(0x22));
    const firstFrame = encodeFrame(FrameType.Reply, 1, bytes('A'));
    s.toHost.write(Buffer.concat([firstFrame, secondFrame.subarray(0, 16 + 2)]));
    expect(new TextDecoder().decode(await first)).toBe('A');
    controller.abort();
    await expect(second).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    const held = into.slice();
    s.toHost.write(secondFrame.subarray(16 + 2));
    await tick();
    expect(into).toEqual(held);
    expect(s.closes).toEqual([]);
  });

  it('validates arguments with UMD_INVALID_ARGUMENT', async () => {
    const s = scripted();
    await expect(s.channel.request('text' as unknown as Uint8Array)).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    await expect(s.channel.request(bytes('x'), { timeoutMs: -1 })).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    expect(
      () => new FramedChannel(new PassThrough(), new PassThrough(), { maxInFlight: 0 }),
    ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
  });

  // Found by trying it: such a payload threw inside the writer after its id was taken, and the
  // manager killed the handler for it (with every other request it had).
  it('refuses a payload whose buffer was transferred, before or while it waits, and goes on', async () => {
    const s = scripted();
    const transferred = (size: number) => {
      const view = new Uint8Array(size);
      structuredClone(view.buffer, { transfer: [view.buffer] });
      return view;
    };
    await expect(s.channel.request(transferred(8))).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
      message: expect.stringContaining('detached'),
    });
    const waiting = new Uint8Array(64);
    const queued = s.channel.request(waiting);
    const other = s.channel.request(bytes('other'));
    structuredClone(waiting.buffer, { transfer: [waiting.buffer] });
    s.hello();
    await expect(queued).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    await tick();
    expect(s.received.map((frame) => frame.id)).toEqual([1]);
    s.reply(1, bytes('fine'));
    expect(new TextDecoder().decode(await other)).toBe('fine');
    expect(s.channel.closed).toBe(false);
  });
});
