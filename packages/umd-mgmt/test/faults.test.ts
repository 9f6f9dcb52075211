import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { fixtureLoader, managed, pidOf, rejection, str, text } from './helpers/fixtures.js';
import { isAlive, waitForDeath } from './helpers/process-table.js';

// A handler that exits before HELLO: its exit ends each start. No start timeout may end one
// first (the default 10 s did, on a machine too loaded to start node in time): it is set past the
// test's own timeout.
const exitsAtStart = { env: { UMD_FIXTURE: 'exit-at-start' }, startTimeoutMs: 60_000 };

describe('faults', () => {
  it('handler SIGKILLed between requests: the next request succeeds on a new pid', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const exits: unknown[] = [];
    const restarts: unknown[] = [];
    const errors: unknown[] = [];
    m.on('exit', (e) => exits.push(e));
    m.on('restart', (e) => restarts.push(e));
    m.on('error', (e) => errors.push(e));
    const first = await pidOf(m);
    // Its exit is reported when the manager has seen it (no fixed wait, which load could outlast).
    const reported = new Promise((resolve) => m.once('exit', resolve));
    process.kill(first, 'SIGKILL');
    expect(await waitForDeath(first)).toBe(true);
    await reported;
    expect(m.state).toBe('failed');
    const second = await pidOf(m);
    expect(second).not.toBe(first);
    expect(exits).toEqual([{ pid: first, exitCode: null, signal: 'SIGKILL', expected: false }]);
    expect(restarts).toEqual([{ pid: second, previousPid: first }]);
    expect(errors).toEqual([
      expect.objectContaining({ code: 'UMD_HANDLER_EXITED', signal: 'SIGKILL', pid: first }),
    ]);
    expect(m.stats()).toMatchObject({ starts: 2, restarts: 1 });
  });

  it('handler SIGKILLed during a request: it fails with UMD_HANDLER_EXITED (signal, stderr tail), never re-sent', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.request(text('stderr:about to hang'));
    const first = await pidOf(m);
    const pending = m.request(text('hang:'));
    await sleep(50);
    process.kill(first, 'SIGKILL');
    const error = await rejection(pending);
    expect(error).toMatchObject({
      code: 'UMD_HANDLER_EXITED',
      signal: 'SIGKILL',
      exitCode: null,
      pid: first,
      handlerName: 'test',
    });
    expect(error.stderrTail).toContain('about to hang');
    const second = await pidOf(m);
    expect(second).not.toBe(first);
    // The new handler saw exactly one request (the pid request): the failed one was not re-sent.
    expect(str(await m.request(text('count:')))).toBe('2');
  });

  it('handler exiting mid-request reports its exit code and stderr tail', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.request(text('stderr:last words'));
    const error = await rejection(m.request(text('exit:7')));
    expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED', exitCode: 7, signal: null });
    expect(error.stderrTail).toEqual(expect.arrayContaining(['last words']));
    expect(str(await m.request(text('ok')))).toBe('ok');
  });

  // Found by trying it: Node's exit joins the thread pool, where the handler's read of its stdin
  // was blocked while a request was pending, so such an exit hung until the request's timeout.
  for (const [how, words] of [
    ['throw', 'thrown from a timer'],
    ['reject', 'rejected in a timer'],
    ['5', 'exiting with code 5'],
  ] as const) {
    for (const containment of ['default', 'process-group'] as const) {
      it(`handler ending while a request is pending (${how}, ${containment}): UMD_HANDLER_EXITED at once, not a timeout`, async () => {
        const m = managed({
          loader: fixtureLoader('echo'),
          requestTimeoutMs: 20_000,
          sandbox: containment === 'default' ? {} : { containment },
        });
        await m.request(text('ready'));
        const error = await rejection(m.request(text(`exit-later:${how}`)));
        expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED' });
        expect(error.timedOut).toBeUndefined();
        expect(error.stderrTail).toEqual(expect.arrayContaining([expect.stringContaining(words)]));
        expect(str(await m.request(text('ok')))).toBe('ok');
      });
    }
  }

  it('hung handler: the request times out, the handler is killed, the next request gets a new one', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const first = await pidOf(m);
    const error = await rejection(m.request(text('hang:'), { timeoutMs: 200 }));
    expect(error).toMatchObject({
      code: 'UMD_TIMEOUT',
      timedOut: true,
      signal: 'SIGKILL',
      pid: first,
    });
    expect(isAlive(first)).toBe(false);
    expect(await pidOf(m)).not.toBe(first);
  });

  it('the default requestTimeoutMs applies too, and other in-flight requests of that handler fail', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      env: { UMD_FIXTURE_CONCURRENCY: '4' },
      maxInFlight: 4,
      requestTimeoutMs: 300,
    });
    await m.start();
    const hung = m.request(text('hang:'));
    const slow = m.request(text('sleep:5000'), { timeoutMs: 10_000 });
    expect((await rejection(hung)).code).toBe('UMD_TIMEOUT');
    expect(await rejection(slow)).toMatchObject({ code: 'UMD_HANDLER_EXITED', signal: 'SIGKILL' });
  });

  it('protocol violation: UMD_PROTOCOL, the handler is killed and replaced', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const first = await pidOf(m);
    const error = await rejection(m.request(text('garbage:')));
    expect(error).toMatchObject({ code: 'UMD_PROTOCOL', pid: first });
    expect(isAlive(first)).toBe(false);
    expect(await pidOf(m)).not.toBe(first);
  });

  it('a flood of unasked frames in the same read as HELLO fails that start, typed, and the next one is clean', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'umd-flood-'));
    await chmod(dir, 0o777); // a root host's handler runs as nobody
    try {
      const m = managed({
        loader: fixtureLoader('echo'),
        env: { UMD_FIXTURE: `flood-once:${dir}` },
        sandbox: { permission: false },
        restartBudget: { maxStarts: 2, windowMs: 60_000 },
      });
      const starts: number[] = [];
      m.on('start', ({ pid }) => starts.push(pid));
      const readies: number[] = [];
      m.on('ready', ({ pid }) => readies.push(pid));
      // Concurrent callers of the bad start all get its typed error.
      const errors = await Promise.all([1, 2, 3].map(() => rejection(m.request(text('x')))));
      for (const error of errors)
        expect(error).toMatchObject({ code: 'UMD_START_FAILED', pid: starts[0] });
      expect(String(errors[0]!.message)).toMatch(/not in flight/);
      expect(readies, 'the flooding handler never counted as ready').toEqual([]);
      expect(m.state).toBe('failed');
      expect(m.pid).toBeUndefined();
      expect(isAlive(starts[0]!)).toBe(false);
      // One bad start costs one start: the next request gets a fresh handler and its own reply.
      expect(str(await m.request(text('next')))).toBe('next');
      expect(m.state).toBe('running');
      expect(m.stats()).toMatchObject({ starts: 2, restarts: 1 });
      expect(str(await m.request(text('again')))).toBe('again');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('start timeout: a handler that never says HELLO fails the start with UMD_TIMEOUT and is killed', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      env: { UMD_FIXTURE: 'no-hello' },
      // Long enough for a loaded machine to spawn it: the case is a handler that runs, silent.
      startTimeoutMs: 1500,
    });
    const error = await rejection(m.request(text('x')));
    expect(error).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true, signal: 'SIGKILL' });
    expect(isAlive(error.pid as number)).toBe(false);
  });

  it('crash loop: after maxStarts failed starts in the window, UMD_CRASH_LOOP until reset', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      ...exitsAtStart,
      restartBudget: { maxStarts: 3, windowMs: 60_000 },
    });
    for (let i = 0; i < 3; i++) {
      const error = await rejection(m.request(text('x')));
      expect(error).toMatchObject({ code: 'UMD_START_FAILED', exitCode: 3 });
      expect(error.stderrTail).toEqual(['fixture: failing before HELLO']);
    }
    const loop = await rejection(m.request(text('x')));
    expect(loop.code).toBe('UMD_CRASH_LOOP');
    expect(m.stats().starts).toBe(3);
    m.resetRestartBudget();
    expect((await rejection(m.request(text('x')))).code).toBe('UMD_START_FAILED');
  });

  it('output closed before HELLO, exit a moment later: UMD_START_FAILED with its exit code', async () => {
    // The channel gives up waiting for the exit after a quarter second; the start failure waits
    // longer before its SIGKILL, so the status a (late) supervisor relays is the one reported.
    const m = managed({
      loader: fixtureLoader('echo'),
      env: { UMD_FIXTURE: 'exit-late-at-start' },
      startTimeoutMs: 60_000,
    });
    const error = await rejection(m.request(text('x')));
    expect(error).toMatchObject({ code: 'UMD_START_FAILED', exitCode: 3, signal: null });
    expect(error.stderrTail).toEqual(['fixture: failing before HELLO, slowly']);
  });

  it('deliberate stop() and unload() do not spend the restart budget', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      restartBudget: { maxStarts: 2, windowMs: 60_000 },
    });
    for (let i = 0; i < 3; i++) {
      expect(new TextDecoder().decode(await m.request(text(`u${i}`)))).toBe(`u${i}`);
      await m.unload();
      expect(new TextDecoder().decode(await m.request(text(`s${i}`)))).toBe(`s${i}`);
      await m.stop();
    }
    expect(m.stats().starts).toBe(6);
  });

  it('the restart window passes: starts are allowed again', async () => {
    // The budget's clock (performance.now) is faked, timers are not: a failed start that takes
    // longer than the window on a loaded machine must not make the second request a new start.
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const m = managed({
        loader: fixtureLoader('echo'),
        ...exitsAtStart,
        restartBudget: { maxStarts: 1, windowMs: 1500 },
      });
      expect((await rejection(m.request(text('x')))).code).toBe('UMD_START_FAILED');
      vi.advanceTimersByTime(1499);
      expect((await rejection(m.request(text('x')))).code).toBe('UMD_CRASH_LOOP');
      vi.advanceTimersByTime(1);
      expect((await rejection(m.request(text('x')))).code).toBe('UMD_START_FAILED');
      expect(m.stats().starts).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a failed start fails every waiting caller with the same error, and costs one start', async () => {
    const m = managed({ loader: fixtureLoader('echo'), ...exitsAtStart });
    const errors = await Promise.all(
      Array.from({ length: 20 }, () => rejection(m.request(text('x')))),
    );
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['UMD_START_FAILED']));
    expect(m.stats().starts).toBe(1);
  });
});
