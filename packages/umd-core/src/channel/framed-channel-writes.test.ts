// What reaches the handler's stdin: writes wait for drain, and a withdrawn frame never goes out.
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { FrameType } from '../codec/constants.js';
import { encodeFrame } from '../codec/frame.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { encodeHello } from '../codec/hello.js';
import { FramedChannel } from './framed-channel.js';
import { OrderedWriter } from './ordered-writer.js';
import { bytes, tick } from './scripted-handler.testing.js';

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

/** A channel writing to {@link heldWrites}' stream, its handler's HELLO (`maxPayload`) sent. */
function heldChannel(maxPayload = 1 << 20) {
  const toHost = new PassThrough();
  const held = heldWrites();
  const channel = new FramedChannel(toHost, held.output, { maxInFlight: 10 });
  toHost.write(
    encodeFrame(FrameType.Hello, 0, encodeHello({ version: 1, maxPayload, name: 'held' })),
  );
  return { channel, ...held };
}

describe('FramedChannel writes', () => {
  it('honours backpressure: stops writing when write() returns false, resumes on drain', async () => {
    const { channel, output, chunks, release } = heldChannel();
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
    const { channel, chunks, release } = heldChannel(1 << 24);
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
  it('to a stream that takes one chunk at a time, a large frame goes as one chunk, header first', async () => {
    const { channel, chunks, release } = heldChannel();
    await channel.waitForHello();
    // Over the 16 KiB below which header and payload are one pooled buffer anyway.
    const payload = new Uint8Array(32 * 1024).map((_, i) => i % 251);
    const pending = channel.request(payload);
    await tick();
    expect(chunks).toHaveLength(1);
    const [frame] = new FrameDecoder().push(chunks[0]!);
    expect([frame?.type, frame?.id]).toEqual([FrameType.Request, 1]);
    expect(Buffer.compare(frame!.payload, payload)).toBe(0);
    release();
    channel.close();
    await Promise.allSettled([pending]);
  });
  it('has the writer check a payload sent uncopied, not a small one copied behind its header', async () => {
    const write = vi.spyOn(OrderedWriter.prototype, 'write');
    try {
      const { channel, release } = heldChannel();
      await channel.waitForHello();
      const pending = [64, 16 * 1024, 16 * 1024 + 1].map((n) => channel.request(new Uint8Array(n)));
      await tick();
      // The second argument is the check (onChanged): the small frames are the channel's memory.
      expect(write.mock.calls.map(([, onChanged]) => typeof onChanged)).toEqual([
        'undefined',
        'undefined',
        'function',
      ]);
      release();
      channel.close();
      await Promise.allSettled(pending);
    } finally {
      write.mockRestore();
    }
  });
});
