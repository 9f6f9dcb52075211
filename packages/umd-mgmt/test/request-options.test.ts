import { describe, expect, it } from 'vitest';
import { defineLoader, MAX_TIMEOUT_MS, UmdManager, UmdPool } from '../src/index.js';
import {
  BAD_TIMEOUTS,
  fixtureLoader,
  managed,
  pooled,
  rejection,
  str,
  text,
} from './helpers/fixtures.js';

describe('per-request options: the same answer in every state', () => {
  it('a bad timeoutMs is UMD_INVALID_ARGUMENT before a start, on a running handler, and nothing starts', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const starts: number[] = [];
    m.on('start', ({ pid }) => starts.push(pid));
    for (const timeoutMs of [...BAD_TIMEOUTS, Number.POSITIVE_INFINITY.toString()]) {
      const error = await rejection(m.request(text('x'), { timeoutMs: timeoutMs as number }));
      expect(error.code, `idle, ${String(timeoutMs)}`).toBe('UMD_INVALID_ARGUMENT');
    }
    expect(starts).toEqual([]);
    expect(m.state).toBe('idle');
    expect(str(await m.request(text('up')))).toBe('up');
    const pid = m.pid;
    for (const timeoutMs of BAD_TIMEOUTS) {
      const error = await rejection(m.request(text('x'), { timeoutMs: timeoutMs as number }));
      expect(error.code, `running, ${String(timeoutMs)}`).toBe('UMD_INVALID_ARGUMENT');
      const raw = await rejection(m.requestRaw(text('x'), 1, { timeoutMs: timeoutMs as number }));
      expect(raw.code, `raw, ${String(timeoutMs)}`).toBe('UMD_INVALID_ARGUMENT');
    }
    // Nothing was killed or restarted by the refusals.
    expect(m.pid).toBe(pid);
    expect(starts).toHaveLength(1);
    expect(str(await m.request(text('still')))).toBe('still');
  });

  it('a bad signal or replyInto is refused the same way before and after the start', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    for (let round = 0; round < 2; round++) {
      for (const options of [{ signal: 'nope' }, { replyInto: [1, 2, 3] }, 'opts', 5]) {
        const error = await rejection(m.request(text('x'), options as never));
        expect(error.code, `round ${round}: ${JSON.stringify(options)}`).toBe(
          'UMD_INVALID_ARGUMENT',
        );
      }
      const payload = new Uint8Array(64);
      const overlap = await rejection(
        m.request(payload.subarray(0, 8), { replyInto: payload.subarray(4) }),
      );
      expect(overlap.code).toBe('UMD_INVALID_ARGUMENT');
      if (round === 0) {
        expect(m.state).toBe('idle');
        await m.start();
      }
    }
  });

  // Found by trying it (session 14): a misspelt key was no timeout at all, and an options
  // object whose getter threw, or a timeout without a prototype, rejected with a bare Error.
  it('a misspelt key, a throwing getter, an object without a prototype: UMD_INVALID_ARGUMENT, on a manager and a pool', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const p = pooled({ loader: fixtureLoader('echo'), instances: 1 });
    const throwing = {
      get signal(): never {
        throw new Error('getter threw');
      },
    };
    const trapped = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap threw');
        },
      },
    );
    const cases: [unknown, string][] = [
      [{ timeoutMS: 5 }, 'unknown option of a request "timeoutMS"'],
      [throwing, 'reading request options threw: getter threw'],
      [trapped, 'reading request options threw: trap threw'],
      [{ timeoutMs: Object.create(null) }, 'timeoutMs must be an integer'],
    ];
    for (const target of [m, p]) {
      for (const [options, message] of cases) {
        const error = await rejection(target.request(text('x'), options as never));
        expect(error.code).toBe('UMD_INVALID_ARGUMENT');
        expect(error.message).toContain(message);
      }
      expect(str(await target.request(text('still'), { timeoutMs: 60_000 }))).toBe('still');
    }
    expect(m.stats()).toMatchObject({ starts: 1 });
  });

  // Found by trying it (session 14): a look-alike signal whose addEventListener threw broke a
  // pool's queue for every later caller (UMD_QUEUE_FULL), failed an idle manager's call with a
  // bare Error, and one whose removeEventListener threw could stop a call from settling.
  it('a signal look-alike that throws fails its own call (UMD_INVALID_ARGUMENT) or none; the manager, its handler and a pool go on', async () => {
    const throwsOnAdd = {
      aborted: false,
      addEventListener() {
        throw new Error('add threw');
      },
      removeEventListener() {},
    };
    const throwsOnRemove = {
      aborted: false,
      addEventListener() {},
      removeEventListener() {
        throw new Error('remove threw');
      },
    };
    const idle = managed({ loader: fixtureLoader('echo') });
    const running = managed({ loader: fixtureLoader('echo') });
    await running.start();
    const pid = running.pid;
    const pool = pooled({ loader: fixtureLoader('echo'), instances: 1 });
    for (const target of [idle, running, pool]) {
      const error = await rejection(target.request(text('x'), { signal: throwsOnAdd as never }));
      expect(error).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      expect(error.message).toContain('add threw');
      expect(str(await target.request(text('y'), { signal: throwsOnRemove as never }))).toBe('y');
      for (let i = 0; i < 3; i++) expect(str(await target.request(text(`z${i}`)))).toBe(`z${i}`);
    }
    expect(running.pid).toBe(pid);
    expect(pool.stats().total).toMatchObject({ queued: 0, starts: 1, failures: 0 });
  });

  it('constructors and defineLoader: a throwing getter, an object without a prototype, a misspelt key are UMD_INVALID_ARGUMENT', () => {
    const throwing = {
      name: 'x',
      get loader(): never {
        throw new Error('getter threw');
      },
    };
    const loader = fixtureLoader('echo');
    const spec = { name: 'l', mode: 'framed' as const, script: '/x.mjs', sha256: 'a'.repeat(64) };
    const attempts: [() => unknown, string][] = [
      [() => new UmdManager(throwing as never), 'reading its options threw: getter threw'],
      [() => new UmdPool(throwing as never), 'reading its options threw: getter threw'],
      [
        () => new UmdPool({ name: 'p', loader, instances: Object.create(null) }),
        'instances must be',
      ],
      [
        () =>
          defineLoader({
            ...spec,
            get sha256(): string {
              throw new Error('spec getter threw');
            },
          }),
        'reading its spec threw: spec getter threw',
      ],
      [
        () => defineLoader({ ...spec, nodeflags: ['--inspect'] } as never),
        'unknown option "nodeflags"',
      ],
    ];
    for (const [attempt, message] of attempts) {
      let caught: unknown;
      try {
        attempt();
      } catch (error) {
        caught = error;
      }
      expect(caught).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      expect((caught as Error).message).toContain(message);
    }
  });

  // Found by trying it: a transferred payload broke the channel's writer, and the manager
  // killed the handler for it, failing every other request the handler had.
  it('a payload whose buffer was transferred is refused, before or while it waits; the handler goes on', async () => {
    const transferred = (view: Uint8Array) => {
      structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
      return view;
    };
    for (const target of [
      managed({ loader: fixtureLoader('echo') }),
      pooled({ loader: fixtureLoader('echo'), instances: 2 }),
    ]) {
      const refused = await rejection(target.request(transferred(text('gone'))));
      expect(refused).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      const stats = target.stats();
      expect('total' in stats ? stats.total.starts : stats.starts).toBe(0);
      await target.start();
      const pids = target instanceof UmdManager ? [target.pid] : target.pids;
      // Busy handlers (each of a pool's two), so that the next request waits.
      const others = [target.request(text('sleep:200')), target.request(text('sleep:200'))];
      const waiting = text('later');
      const queued = rejection(target.request(waiting, { timeoutMs: 5000 }));
      transferred(waiting);
      expect(await queued).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      for (const other of others) expect(str(await other)).toBe('slept');
      expect(target instanceof UmdManager ? [target.pid] : target.pids).toEqual(pids);
    }
  });

  it('request(p, null) and start(null) use the defaults; timeoutMs Infinity overrides requestTimeoutMs', async () => {
    const m = managed({ loader: fixtureLoader('echo'), requestTimeoutMs: 100 });
    await m.start(null);
    // The default timeout applies (an answer would race its 100 ms on a loaded machine).
    const hung = await rejection(m.request(text('hang:'), null));
    expect(hung).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    expect(String(hung.message)).toMatch(/within 100 ms/);
    expect(str(await m.request(text('sleep:300'), { timeoutMs: Infinity }))).toBe('slept');
    const error = await rejection(m.request(text('sleep:300'), { timeoutMs: null as never }));
    expect(error.code).toBe('UMD_TIMEOUT');
  });

  it('a timeout of 2^31-1 ms is armed as such: it does not fire at once', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    expect(str(await m.request(text('sleep:50'), { timeoutMs: MAX_TIMEOUT_MS }))).toBe('slept');
  });

  it('stop() refuses a bad graceMs and keeps the handler', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    for (const graceMs of [-1, 2 ** 31, Number.NaN, '5'])
      expect((await rejection(m.stop({ graceMs: graceMs as number }))).code).toBe(
        'UMD_INVALID_ARGUMENT',
      );
    expect(m.state).toBe('running');
    await m.stop(null);
    expect(m.state).toBe('stopped');
  });

  it('timeout messages print the integer the caller gave', async () => {
    const queued = managed({ loader: fixtureLoader('echo'), requestTimeoutMs: 150 });
    await queued.start();
    const hang = queued.request(text('hang:'));
    hang.catch(() => undefined);
    // Waits behind the hanging one, so its timer is the manager's: "no reply within 150 ms".
    const waiting = await rejection(queued.request(text('x')));
    expect(waiting.code).toBe('UMD_TIMEOUT');
    expect(String(waiting.message)).toMatch(/within 150 ms/);
    const hung = await rejection(hang);
    expect(String(hung.message)).toMatch(/within 150 ms/);
    expect(String(hung.message)).not.toMatch(/\d\.\d/);
  });
});
