import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HandlerError } from '../handler/handler-error.js';
import { createChannelPair } from './channel-pair.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('createChannelPair', () => {
  it('connects a channel to an in-process handler with HELLO, replies and ERROR frames', async () => {
    const { channel, close } = createChannelPair(
      (payload) => {
        if (text(payload) === 'bad') throw new HandlerError(-22, 'invalid');
        if (text(payload) === 'boom') throw new Error('boom');
        return bytes(text(payload).toUpperCase());
      },
      { name: 'upper' },
    );
    expect((await channel.waitForHello()).name).toBe('upper');
    expect(text(await channel.request(bytes('abc')))).toBe('ABC');
    await expect(channel.request(bytes('bad'))).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
    });
    await expect(channel.request(bytes('boom'))).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -5,
      message: expect.stringContaining('boom'),
    });
    await close();
    expect(channel.closed).toBe(true);
  });

  it('delivers CANCEL to the handler as an aborted signal', async () => {
    const aborted: number[] = [];
    const { channel, close } = createChannelPair(async (payload, { id, signal }) => {
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      aborted.push(id);
      return payload;
    });
    await expect(channel.request(bytes('x'), { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    await sleep(10);
    expect(aborted).toEqual([1]);
    await close();
  });

  it('runs requests concurrently up to the handler concurrency', async () => {
    let running = 0;
    let peak = 0;
    const { channel, close } = createChannelPair(
      async (payload) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(5);
        running--;
        return payload;
      },
      { concurrency: 3, maxInFlight: 8 },
    );
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => channel.request(Uint8Array.of(i))),
    );
    expect(replies.map((reply) => reply[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    await close();
  });
});
