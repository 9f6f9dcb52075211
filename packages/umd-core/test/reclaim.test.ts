import { expect, it } from 'vitest';
import { FramedChannel } from '../src/index.js';
import { fixture, reapAfterEach, spawnHandler } from './helpers/handlers.js';

reapAfterEach();

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const outcome = (call: Promise<Uint8Array>) =>
  call.then(decode, (error: { code: string }) => error.code);

// reclaimUnstarted(keep): requests the handler has not started come back as UMD_NOT_STARTED
// (its runtime answers their CANCEL "cancelled before it started"); one it did start is
// settled by its own answer, never reported as not started.
it('takes back the requests a handler has not started, and only those', async () => {
  const handler = spawnHandler(fixture('echo.mjs'), 'framed', { ECHO_CONCURRENCY: '1' });
  const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 8 });
  try {
    await channel.waitForHello();
    // One tick, one write: the hang runs (it ends when cancelled), the others wait behind it.
    const running = outcome(channel.request(encode('!hang a')));
    const behind = ['b', 'c', 'd'].map((name) => outcome(channel.request(encode(name))));
    expect(channel.reclaimUnstarted(1)).toBe(3);
    expect(await Promise.all(behind)).toEqual(Array(3).fill('UMD_NOT_STARTED'));
    expect(channel.inFlight).toBe(1);
    // Asked back once running: its own answer (the echo, after its signal) settles it.
    expect(channel.reclaimUnstarted(0)).toBe(1);
    expect(await running).toBe('!hang a');
    await handler.stderrHolding('cancelled !hang a');
    expect(decode(await channel.request(encode('after')))).toBe('after');
    expect(channel.reclaimUnstarted(0)).toBe(0);
  } finally {
    channel.close();
    await handler.exited;
  }
}, 30_000);
