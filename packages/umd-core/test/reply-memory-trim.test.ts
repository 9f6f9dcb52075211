import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, expect, it, vi } from 'vitest';
import { hostAddon } from '../src/channel/native-helper.js';
import { REPLY_MEMORY_MIN } from '../src/channel/reply-memory.js';
import { FramedChannel } from '../src/index.js';
import { fixture, reapHandlers, spawnHandler } from './helpers/handlers.js';

// A file of its own: the idle trim's timer is module state, armed here under fake timers.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

afterEach(async () => {
  vi.useRealTimers();
  expect(await reapHandlers()).toEqual([]);
});

it('a reply freed after the idle trim is not kept: its block goes back to the kernel', async () => {
  const addon = hostAddon();
  expect(addon, 'the native helper is built and loads').toBeDefined();
  addon!.trim();
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  const channel = FramedChannel.fromChild(spawnHandler(fixture('echo.mjs'), 'framed').child);
  let reply: Uint8Array | undefined = await channel.request(new Uint8Array(REPLY_MEMORY_MIN));
  expect(reply.byteLength).toBe(REPLY_MEMORY_MIN);
  // A small round trip after it: nothing of the channel's still refers to the large reply.
  expect((await channel.request(new Uint8Array(8))).byteLength).toBe(8);
  // Idle: the trim runs while the reply still lives (an app that has not collected since).
  vi.advanceTimersByTime(6000);
  reply = undefined;
  gc();
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
  // Freed now, with no large reply since: nothing to keep it for, and no timer left to trim it.
  expect(addon!.trim()).toBe(0);
  channel.close();
});
