import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { callDeadline } from './call-deadline.js';
import { abortedError } from './request-options.js';

describe('callDeadline', () => {
  it('fires with the caller’s reason, and not after clear()', async () => {
    const caller = new AbortController();
    const deadline = callDeadline({ signal: caller.signal, timeoutMs: 60_000 });
    const reason = new Error('stop');
    caller.abort(reason);
    expect(deadline.signal!.aborted).toBe(true);
    expect(deadline.signal!.reason).toBe(reason);
    expect(abortedError(deadline.signal!, 'the call').code).toBe('UMD_ABORTED');
    deadline.clear();

    const later = new AbortController();
    const cleared = callDeadline({ signal: later.signal, timeoutMs: 20 });
    cleared.clear();
    later.abort();
    await sleep(40);
    expect(cleared.signal!.aborted).toBe(false);
  });

  it('fires as a timeout once timeoutMs has passed: UMD_TIMEOUT', async () => {
    const deadline = callDeadline({ timeoutMs: 10 });
    const fired = new Promise((resolve) => deadline.signal!.addEventListener('abort', resolve));
    await fired;
    const error = abortedError(deadline.signal!, 'the call');
    expect(error.code).toBe('UMD_TIMEOUT');
    expect(error.timedOut).toBe(true);
  });

  it('follows a signal already aborted at once', () => {
    const deadline = callDeadline({ signal: AbortSignal.abort('gone'), timeoutMs: 1_000 });
    expect(deadline.signal!.reason).toBe('gone');
    deadline.clear();
  });

  it('leaves a timeoutMs it cannot use to the call: the caller’s signal alone', () => {
    const caller = new AbortController();
    for (const timeoutMs of [undefined, 0, -1, 1.5, Number.NaN, 2 ** 31, Infinity]) {
      const deadline = callDeadline({ signal: caller.signal, timeoutMs });
      expect(deadline.signal).toBe(caller.signal);
      deadline.clear();
    }
    expect(callDeadline({}).signal).toBeUndefined();
  });

  it('lets go of the caller’s long-lived signal when cleared (one listener at most)', () => {
    let listeners = 0;
    const signal = {
      aborted: false,
      addEventListener: () => listeners++,
      removeEventListener: () => listeners--,
    } as unknown as AbortSignal;
    for (let i = 0; i < 1_000; i++) callDeadline({ signal, timeoutMs: 60_000 }).clear();
    expect(listeners).toBe(0);
  });

  it('refuses a signal-like object that throws when listened to, typed', () => {
    const signal = {
      aborted: false,
      addEventListener: () => {
        throw new Error('nope');
      },
    } as unknown as AbortSignal;
    expect(() => callDeadline({ signal, timeoutMs: 1_000 })).toThrow(
      expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
    );
  });
});
