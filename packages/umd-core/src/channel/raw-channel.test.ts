import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RawChannel } from './raw-channel.js';

function pair() {
  const toHost = new PassThrough();
  const toHandler = new PassThrough();
  const written: Buffer[] = [];
  toHandler.on('data', (chunk: Buffer) => written.push(chunk));
  const channel = new RawChannel(toHost, toHandler, { maxReply: 1 << 20 });
  const closes: unknown[] = [];
  channel.on('close', (reason) => closes.push(reason));
  return { channel, toHost, written, closes };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('RawChannel', () => {
  it('writes the request and reads exactly replyLength bytes across chunks', async () => {
    const s = pair();
    const reply = s.channel.exchange(Uint8Array.of(1, 2, 3), 5);
    await tick();
    expect(Buffer.concat(s.written)).toEqual(Buffer.of(1, 2, 3));
    s.toHost.write(Uint8Array.of(9, 8));
    s.toHost.write(Uint8Array.of(7));
    s.toHost.write(Uint8Array.of(6, 5));
    expect(await reply).toEqual(Uint8Array.of(9, 8, 7, 6, 5));
  });

  it('runs exchanges one at a time in call order', async () => {
    const s = pair();
    const first = s.channel.exchange(Uint8Array.of(1), 1);
    const second = s.channel.exchange(Uint8Array.of(2), 1);
    await tick();
    expect(Buffer.concat(s.written)).toEqual(Buffer.of(1));
    s.toHost.write(Uint8Array.of(10));
    expect(await first).toEqual(Uint8Array.of(10));
    await tick();
    expect(Buffer.concat(s.written)).toEqual(Buffer.of(1, 2));
    s.toHost.write(Uint8Array.of(20));
    expect(await second).toEqual(Uint8Array.of(20));
  });

  it('fails with UMD_SHORT_READ when the stream ends early', async () => {
    const s = pair();
    const reply = s.channel.exchange(Uint8Array.of(1), 4);
    s.toHost.end(Uint8Array.of(1, 2));
    await expect(reply).rejects.toMatchObject({
      code: 'UMD_SHORT_READ',
      message: expect.stringContaining('2 of 4'),
    });
    expect(s.channel.closed).toBe(true);
  });

  it('closes with UMD_PROTOCOL on unsolicited or surplus bytes', async () => {
    const s = pair();
    s.toHost.write(Uint8Array.of(1));
    await tick();
    expect(s.closes[0]).toMatchObject({
      code: 'UMD_PROTOCOL',
      message: expect.stringContaining('unsolicited'),
    });
    const t = pair();
    const reply = t.channel.exchange(Uint8Array.of(1), 2);
    t.toHost.write(Uint8Array.of(1, 2, 3));
    await expect(reply).rejects.toMatchObject({ code: 'UMD_PROTOCOL' });
  });

  it('a timeout in flight poisons the channel; a queued abort does not', async () => {
    const s = pair();
    const controller = new AbortController();
    const inFlight = s.channel.exchange(Uint8Array.of(1), 4, { timeoutMs: 20 });
    const queued = s.channel.exchange(Uint8Array.of(2), 4, { signal: controller.signal });
    controller.abort();
    await expect(queued).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    expect(s.channel.closed).toBe(false);
    await expect(inFlight).rejects.toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    expect(s.channel.closed).toBe(true);
    expect(s.closes[0]).toMatchObject({ code: 'UMD_TIMEOUT' });
  });

  it('an abort in flight fails that exchange alone: the rest of its reply is dropped before the next is sent', async () => {
    const s = pair();
    const controller = new AbortController();
    const first = s.channel.exchange(Uint8Array.of(1), 4, { signal: controller.signal });
    s.toHost.write(Uint8Array.of(9, 9));
    await tick();
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    const second = s.channel.exchange(Uint8Array.of(2), 2);
    await tick();
    expect(Buffer.concat(s.written)).toEqual(Buffer.of(1)); // not before the rest is in
    s.toHost.write(Uint8Array.of(9, 9));
    await tick();
    expect(Buffer.concat(s.written)).toEqual(Buffer.of(1, 2));
    s.toHost.write(Uint8Array.of(7, 8));
    expect(await second).toEqual(Uint8Array.of(7, 8));
    expect(s.closes).toEqual([]);
  });

  it('bytes past an aborted reply, before the next request, are a protocol error as ever', async () => {
    const s = pair();
    const controller = new AbortController();
    const first = s.channel.exchange(Uint8Array.of(1), 2, { signal: controller.signal });
    await tick();
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    s.toHost.write(Uint8Array.of(9, 9, 9));
    await tick();
    expect(s.closes[0]).toMatchObject({ code: 'UMD_PROTOCOL' });
  });

  it('a signal look-alike that throws: UMD_INVALID_ARGUMENT with nothing sent, or the call settles anyway', async () => {
    const s = pair();
    const noop = () => {};
    const boom = () => {
      throw new Error('threw');
    };
    const onAdd = { aborted: false, addEventListener: boom, removeEventListener: noop };
    const onRemove = { aborted: false, addEventListener: noop, removeEventListener: boom };
    const refused = s.channel.exchange(Uint8Array.of(1), 1, { signal: onAdd as never });
    await expect(refused).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    const reply = s.channel.exchange(Uint8Array.of(2), 1, { signal: onRemove as never });
    await tick();
    expect(Buffer.concat(s.written)).toEqual(Buffer.of(2));
    s.toHost.write(Uint8Array.of(7));
    expect(await reply).toEqual(Uint8Array.of(7));
    expect(s.closes).toEqual([]);
  });

  it('refuses a reply length over maxReply, sending nothing', async () => {
    const s = pair();
    await expect(s.channel.exchange(Uint8Array.of(1), (1 << 20) + 1)).rejects.toMatchObject({
      code: 'UMD_TOO_LARGE',
    });
    await tick();
    expect(s.written).toEqual([]);
  });

  it('resolves a zero-length reply without reading', async () => {
    const s = pair();
    expect(await s.channel.exchange(new Uint8Array(0), 0)).toEqual(new Uint8Array(0));
  });
});
