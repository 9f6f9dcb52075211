import { describe, expect, it } from 'vitest';
import { fixtureLoader, managed, pidOf, rejection, str, text } from './helpers/fixtures.js';

describe('request-level errors keep the handler', () => {
  it('a handler ERROR frame is UMD_HANDLER_ERROR with its code; same pid after', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const pid = await pidOf(m);
    expect(await rejection(m.request(text('fail:22')))).toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
    });
    expect(await pidOf(m)).toBe(pid);
  });

  it('an aborted request (framed) is cancelled, not a fault', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const pid = await pidOf(m);
    const controller = new AbortController();
    // In flight until cancelled: how late the abort comes cannot change the outcome.
    const pending = m.request(text('hold:'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    expect((await rejection(pending)).code).toBe('UMD_ABORTED');
    expect(await pidOf(m)).toBe(pid);
  });

  it('an abort while queued leaves the queue without touching the handler', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const pid = await pidOf(m);
    const busy = m.request(text('sleep:200'));
    const controller = new AbortController();
    const queued = m.request(text('x'), { signal: controller.signal });
    controller.abort();
    expect((await rejection(queued)).code).toBe('UMD_ABORTED');
    expect(str(await busy)).toBe('slept');
    expect(str(await m.request(text('count:')))).toBe('3');
    expect(await pidOf(m)).toBe(pid);
  });

  it('a timeout while still queued fails that request only; the handler is not touched', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const pid = await pidOf(m);
    const ahead = new AbortController();
    const busy = rejection(m.request(text('hold:'), { signal: ahead.signal }));
    const queued = await rejection(m.request(text('x'), { timeoutMs: 100 }));
    expect(queued).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    expect(queued.pid).toBeUndefined();
    // The request ahead is still in flight at the same handler, untouched by that timeout.
    expect(m.stats()).toMatchObject({ inFlight: 1, queued: 0 });
    ahead.abort();
    expect((await busy).code).toBe('UMD_ABORTED');
    expect(await pidOf(m)).toBe(pid);
  });

  it('bounded queue: beyond maxInFlight + maxQueue, UMD_QUEUE_FULL at once', async () => {
    const m = managed({ loader: fixtureLoader('echo'), maxQueue: 2 });
    await m.start();
    const accepted = [m.request(text('sleep:100')), m.request(text('a')), m.request(text('b'))];
    expect((await rejection(m.request(text('c')))).code).toBe('UMD_QUEUE_FULL');
    expect((await Promise.all(accepted)).map(str)).toEqual(['slept', 'a', 'b']);
  });

  it('a payload over the HELLO limit is UMD_TOO_LARGE and nothing is sent', async () => {
    const m = managed({ loader: fixtureLoader('native-echo') });
    expect(str(await m.request(text('pid:')))).toBe('pid:'); // the native echo has no commands
    expect((await rejection(m.request(new Uint8Array((1 << 20) + 1)))).code).toBe('UMD_TOO_LARGE');
    expect(str(await m.request(text('still fine')))).toBe('still fine');
  });

  it('maxInFlight > 1 keeps several requests at a concurrent handler', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      env: { UMD_FIXTURE_CONCURRENCY: '4' },
      maxInFlight: 4,
    });
    await m.start();
    const controller = new AbortController();
    const held = Array.from({ length: 4 }, () =>
      rejection(m.request(text('hold:'), { signal: controller.signal })),
    );
    const queued = [m.request(text('a')), m.request(text('b'))];
    expect(m.stats()).toMatchObject({ inFlight: 4, queued: 2 });
    // Four at the handler at once: the queued two get in only when the four end.
    controller.abort();
    expect((await Promise.all(held)).map((e) => e.code)).toEqual(Array(4).fill('UMD_ABORTED'));
    expect((await Promise.all(queued)).map(str)).toEqual(['a', 'b']);
    expect(m.stats()).toMatchObject({ inFlight: 0, queued: 0 });
  });

  it('refuses the wrong call for the mode, and non-bytes payloads', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    expect((await rejection(m.requestRaw(text('12345678'), 16))).code).toBe('UMD_INVALID_ARGUMENT');
    expect((await rejection(m.request('text' as never))).code).toBe('UMD_INVALID_ARGUMENT');
  });
});
