// Requests given up by their caller (abort, timeout): rejected, cancelled when the handler
// has them, their late answers dropped, their replyInto buffers the caller's again.
import { describe, expect, it } from 'vitest';
import { FrameType } from '../codec/constants.js';
import { encodeErrorPayload } from '../codec/error-payload.js';
import { encodeFrame } from '../codec/frame.js';
import { bytes, scripted, tick } from './scripted-handler.testing.js';

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

describe('FramedChannel, a request given up', () => {
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
});
