import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameType } from '../codec/constants.js';
import { encodeErrorPayload } from '../codec/error-payload.js';
import { encodeFrame } from '../codec/frame.js';
import { encodeHello } from '../codec/hello.js';
import { FramedChannel } from './framed-channel.js';
import { bytes, scripted, tick } from './scripted-handler.testing.js';

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
