import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { NO_TIMEOUT, UmdManager, waitForExit } from '../src/index.js';
import { fixtureLoader, handlerPid, managed, rejection, str, text } from './helpers/fixtures.js';
import { isAlive, waitForDeath } from './helpers/process-table.js';

describe('await using', () => {
  it('stops the handler when the scope ends', async () => {
    let pid: number | undefined;
    let manager: UmdManager | undefined;
    {
      await using m = new UmdManager({ name: 'scoped', loader: fixtureLoader('echo') });
      manager = m;
      expect(str(await m.request(text('hi')))).toBe('hi');
      pid = m.pid;
      expect(isAlive(pid!)).toBe(true);
    }
    expect(manager.state).toBe('stopped');
    expect(manager.pid).toBeUndefined();
    expect(isAlive(pid!)).toBe(false);
  });
});

describe('a signal that times out', () => {
  it('AbortSignal.timeout() at the handler is UMD_TIMEOUT; the framed handler is kept', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    const pid = m.pid;
    const error = await rejection(m.request(text('hold:'), { signal: AbortSignal.timeout(100) }));
    expect(error).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    // The signal's reason is the cause, as for a request that timed out while still queued.
    expect((error.cause as Error).name).toBe('TimeoutError');
    expect(str(await m.request(text('after')))).toBe('after');
    expect(m.pid).toBe(pid);
  });

  it('a signal aborted with a TimeoutError while the request waits is UMD_TIMEOUT', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const ahead = new AbortController();
    const busy = rejection(m.request(text('hold:'), { signal: ahead.signal }));
    const controller = new AbortController();
    const queued = m.request(text('queued'), { signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('too slow', 'TimeoutError')), 50);
    expect(await rejection(queued)).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    ahead.abort();
    expect(await busy).toMatchObject({ code: 'UMD_ABORTED' });
  });

  it('an already timed-out signal is refused at once with UMD_TIMEOUT, a plain abort stays UMD_ABORTED', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const expired = AbortSignal.timeout(1);
    await sleep(20);
    expect(await rejection(m.request(text('x'), { signal: expired }))).toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    expect(await rejection(m.request(text('x'), { signal: AbortSignal.abort() }))).toMatchObject({
      code: 'UMD_ABORTED',
    });
    const controller = new AbortController();
    const hung = m.request(text('hang:'), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await rejection(hung)).toMatchObject({ code: 'UMD_ABORTED' });
  });

  it('raw mode: an abort while the reply is held fails that call alone; the same handler answers next', async () => {
    const m = managed({ loader: fixtureLoader('raw') });
    const held = new Promise<void>((resolve) =>
      m.on('stderr', (line) => line === 'fixture: holding the reply' && resolve()),
    );
    await m.start();
    const pid = m.pid!;
    const exits: unknown[] = [];
    m.on('exit', (exit) => exits.push(exit));
    const controller = new AbortController();
    const call = m.requestRaw(Uint8Array.of(0xfe, 1, 2, 3, 4, 5, 6, 7), 16, {
      signal: controller.signal,
    });
    await held;
    controller.abort();
    expect(await rejection(call)).toMatchObject({ code: 'UMD_ABORTED' });
    // The next call goes out once the held reply is in and dropped.
    const next = m.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16);
    process.kill(handlerPid(m), 'SIGUSR2');
    expect([...(await next)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(m.pid).toBe(pid);
    expect(exits).toEqual([]);
  });

  it('raw mode: a timed-out signal kills the handler (the stream is poisoned) and says UMD_TIMEOUT', async () => {
    const m = managed({ loader: fixtureLoader('raw') });
    await m.start();
    const pid = m.pid!;
    // The raw fixture reads 8-byte requests: a 4-byte one leaves it waiting, never answering.
    const error = await rejection(
      m.requestRaw(text('ping'), 16, { signal: AbortSignal.timeout(100) }),
    );
    expect(error).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true, pid });
    expect(await waitForDeath(pid)).toBe(true);
  });
});

describe('idle timeout', () => {
  it('stops an idle handler and starts a fresh one on the next request', async () => {
    const m = managed({ loader: fixtureLoader('echo'), idleTimeoutMs: 150 });
    const idles: number[] = [];
    m.on('idle', ({ pid }) => idles.push(pid));
    expect(str(await m.request(text('one')))).toBe('one');
    const first = m.pid!;
    // Busy for longer than the idle timeout: requests keep it alive.
    for (let i = 0; i < 6; i++) {
      await m.request(text('sleep:50'));
      expect(m.pid).toBe(first);
    }
    const [exit] = await once(m, 'exit');
    expect(exit).toMatchObject({ pid: first, expected: true });
    expect(idles).toEqual([first]);
    expect(m.state).toBe('stopped');
    expect(await waitForDeath(first)).toBe(true);
    expect(str(await m.request(text('two')))).toBe('two');
    expect(m.pid).not.toBe(first);
    expect(m.stats()).toMatchObject({ starts: 2, restarts: 0, failures: 0 });
  });

  it('is off by default', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.request(text('one'));
    const pid = m.pid;
    await sleep(300);
    expect(m.pid).toBe(pid);
    expect(m.state).toBe('running');
  });

  it('refuses a bad idleTimeoutMs', () => {
    for (const idleTimeoutMs of [0, -1, Number.NaN]) {
      expect(
        () => new UmdManager({ name: 'x', loader: fixtureLoader('echo'), idleTimeoutMs }),
      ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    }
  });
});

describe('checkReply', () => {
  it('a refused reply is UMD_INVALID_REPLY and kills that handler; the next request gets a fresh one', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    const pid = m.pid!;
    const error = await rejection(
      m.request(text('lie'), {
        checkReply: (reply) => {
          if (str(reply) === 'lie') throw new Error('not the truth');
        },
      }),
    );
    expect(error).toMatchObject({ code: 'UMD_INVALID_REPLY', pid, signal: 'SIGKILL' });
    expect(String(error.message)).toContain('not the truth');
    expect(await waitForDeath(pid)).toBe(true);
    // Whatever the check throws is named (a thrown string used to read "undefined").
    const thrownString = await rejection(
      m.request(text('lie'), {
        checkReply: () => {
          throw 'a string, not an Error';
        },
      }),
    );
    expect(String(thrownString.message)).toContain('a string, not an Error');
    expect(str(await m.request(text('next'), { checkReply: async () => {} }))).toBe('next');
    expect(m.pid).not.toBe(pid);
  });

  // Found by trying it: a check that never settled held the call, its slot and its place in
  // stats() forever, whatever its timeout; every later request then timed out in the queue.
  const hangs = () => new Promise<never>(() => {});

  /**
   * The rejection of a call of 1 s whose reply check never settles, with the clock and timers
   * faked from the call on: the reply is in and its check running when the second passes,
   * however slow a loaded machine makes the round trip (with real time, a late reply was a
   * request timeout and no check ran).
   */
  async function timedOutInCheck(
    call: (checkReply: () => Promise<never>) => Promise<unknown>,
  ): Promise<Record<string, unknown> & { code: string }> {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      let checking!: () => void;
      const checkRuns = new Promise<void>((resolve) => {
        checking = resolve;
      });
      let checks = 0;
      let done = false;
      const settled = rejection(
        call(() => {
          checks++;
          checking();
          return hangs();
        }),
      ).finally(() => {
        done = true;
      });
      await checkRuns;
      await vi.advanceTimersByTimeAsync(999);
      expect(done, 'still checking before its second').toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await settled;
      expect(checks).toBe(1);
      return error;
    } finally {
      vi.useRealTimers();
    }
  }

  it('a check still running at the call timeout is UMD_TIMEOUT; the handler and its slot go on', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    const pid = m.pid;
    const error = await timedOutInCheck((checkReply) =>
      m.request(text('a'), { timeoutMs: 1000, checkReply }),
    );
    expect(error).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    expect(str(await m.request(text('next'), { timeoutMs: 5000 }))).toBe('next');
    expect(m.pid).toBe(pid);
    expect(m.stats()).toMatchObject({ inFlight: 0, queued: 0, failures: 1, replies: 1 });
  });

  it('the default requestTimeoutMs and the signal bound the check too', async () => {
    // As above: 1 s for the reply to be in and its check running when the timeout fires.
    const m = managed({ loader: fixtureLoader('echo'), requestTimeoutMs: 1000 });
    await m.start();
    const byDefault = await timedOutInCheck((checkReply) => m.request(text('a'), { checkReply }));
    expect(byDefault).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(5000)]);
    // Aborted while its check runs, whenever the reply comes.
    const abortDuringCheck = () => {
      setTimeout(() => controller.abort(), 50);
      return hangs();
    };
    const aborted = await rejection(
      m.request(text('b'), { signal, timeoutMs: NO_TIMEOUT, checkReply: abortDuringCheck }),
    );
    expect(aborted).toMatchObject({ code: 'UMD_ABORTED' });
    expect(str(await m.request(text('next'), { timeoutMs: 5000 }))).toBe('next');
  });

  it('a check without any bound does not hold the handler: later requests are served', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    void m.request(text('a'), { timeoutMs: NO_TIMEOUT, checkReply: hangs });
    expect(str(await m.request(text('next'), { timeoutMs: 5000 }))).toBe('next');
  });
});

// Found by walking the exports: waitForExit took no signal, and its timeout and pid were not
// checked (NaN, Infinity or '100' became a 1 ms timer; a pid of undefined waited it out).
describe('waitForExit', () => {
  it('takes { timeoutMs, signal } or the timeout alone, and resolves on the exit', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    const pid = m.pid!;
    const exited = waitForExit(m, pid, { timeoutMs: 20_000, signal: new AbortController().signal });
    process.kill(pid, 'SIGKILL');
    await exited;
    await m.start();
    const again = waitForExit(m, m.pid!, 20_000);
    process.kill(m.pid!, 'SIGKILL');
    await again;
  });

  it('ends with its signal: UMD_ABORTED, UMD_TIMEOUT for a timeout, before the call too', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    const pid = m.pid!;
    const aborted = new AbortController();
    const waiting = waitForExit(m, pid, { signal: aborted.signal });
    aborted.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    await expect(waitForExit(m, pid, { signal: AbortSignal.timeout(50) })).rejects.toMatchObject({
      code: 'UMD_TIMEOUT',
    });
    await expect(waitForExit(m, pid, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'UMD_ABORTED',
    });
    expect(m.listenerCount('exit')).toBe(0);
  });

  it('refuses a timeout, signal or pid it cannot use', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    for (const options of [NaN, Infinity, -1, 0, 2 ** 31, '100', { signal: 5 }, [1]])
      await expect(waitForExit(m, 123, options as never)).rejects.toMatchObject({
        code: 'UMD_INVALID_ARGUMENT',
      });
    for (const pid of [undefined, 0, -1, 1.5, '123'])
      await expect(waitForExit(m, pid as never)).rejects.toMatchObject({
        code: 'UMD_INVALID_ARGUMENT',
      });
  });
});
