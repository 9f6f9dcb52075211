import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Loader } from '../src/index.js';
import { descendantsOf, isAlive, waitForDeath } from './helpers/process-table.js';
import {
  fixtureLoader,
  handlerPid,
  handlerTree,
  managed,
  rejection,
  sleeperOf,
  str,
  text,
} from './helpers/fixtures.js';

declare global {
  // Set by test/fixtures/loaders/echo-loader.mjs each time its module body runs.
  var __umdEchoLoaderImports: number | undefined;
}

/** `load`, as a manager's loader that counts how often the manager calls it. */
function counted<T>(load: () => Promise<T>) {
  const loader = {
    calls: 0,
    load: () => {
      loader.calls++;
      return load();
    },
  };
  return loader;
}

describe('lazy loading and shared start', () => {
  it('imports the loader module and spawns nothing before the first request', async () => {
    const loader = counted(
      () => import('./fixtures/loaders/echo-loader.mjs') as Promise<{ default: Loader }>,
    );
    const m = managed({ loader: loader.load });
    const loads: string[] = [];
    m.on('load', ({ name }) => loads.push(name));
    await sleep(50);
    expect(globalThis.__umdEchoLoaderImports).toBeUndefined();
    expect(loader.calls).toBe(0);
    expect(m.state).toBe('idle');
    expect(descendantsOf(process.pid)).toEqual([]);

    expect(str(await m.request(text('first')))).toBe('first');
    expect(globalThis.__umdEchoLoaderImports).toBe(1);
    expect(loader.calls).toBe(1);
    expect(loads).toEqual(['echo']);
    // The handler (with its PID namespace's supervisor, if it has one), nothing else.
    expect(descendantsOf(process.pid).map((p) => p.pid)).toEqual(handlerTree(m));
  });

  it('shares one load and one start among 200 concurrent first requests', async () => {
    const loader = counted(async () => fixtureLoader('echo'));
    const m = managed({ loader: loader.load });
    const starts: number[] = [];
    m.on('start', ({ pid }) => starts.push(pid));
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) => m.request(text(`request ${i}`))),
    );
    expect(replies.map(str)).toEqual(Array.from({ length: 200 }, (_, i) => `request ${i}`));
    expect(loader.calls).toBe(1);
    expect(starts).toHaveLength(1);
    expect(m.stats()).toMatchObject({
      starts: 1,
      requests: 200,
      replies: 200,
      failures: 0,
      inFlight: 0,
      queued: 0,
    });
  });

  it('unload() stops the handler and forgets the loader; the next request loads it again', async () => {
    const loader = counted(async () => fixtureLoader('echo'));
    const m = managed({ loader: loader.load });
    const events: string[] = [];
    m.on('load', () => events.push('load'));
    m.on('unload', () => events.push('unload'));
    await m.request(text('x'));
    const firstPid = m.pid;
    await m.unload();
    expect(m.state).toBe('idle');
    expect(m.pid).toBeUndefined();
    expect(descendantsOf(process.pid)).toEqual([]);
    await m.request(text('x'));
    const secondPid = m.pid;
    expect(secondPid).not.toBe(firstPid);
    expect(loader.calls).toBe(2);
    expect(events).toEqual(['load', 'unload', 'load']);
  });

  it('reports a loader module without a loader as UMD_LOADER, and retries the import next time', async () => {
    const loader = counted(async () => ({ default: { name: 'not a loader' } }) as never);
    const m = managed({ loader: loader.load });
    expect((await rejection(m.request(text('x')))).code).toBe('UMD_LOADER');
    expect((await rejection(m.request(text('x')))).code).toBe('UMD_LOADER');
    expect(loader.calls).toBe(2);
  });

  it('start() starts eagerly; postStart hooks run (loader first) before any queued request', async () => {
    const order: string[] = [];
    const loader = fixtureLoader('echo', {
      postStart: async (session) => {
        order.push(`loader saw count ${str(await session.request(text('count:')))}`);
      },
    });
    const m = managed({
      loader,
      postStart: async (session) => {
        expect(session.hello?.name).toBe('echo');
        await sleep(50);
        order.push(`manager saw count ${str(await session.request(text('count:')))}`);
      },
    });
    const queued = [m.request(text('count:')), m.request(text('count:'))];
    await m.start();
    expect((await Promise.all(queued)).map(str)).toEqual(['3', '4']);
    expect(order).toEqual(['loader saw count 1', 'manager saw count 2']);
  });

  it('a failing postStart fails the start with UMD_START_FAILED and leaves no process', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      postStart: async () => {
        throw new Error('health check failed');
      },
    });
    const error = await rejection(m.request(text('x')));
    expect(error.code).toBe('UMD_START_FAILED');
    expect(String(error.message)).toContain('health check failed');
    expect(m.state).toBe('failed');
  });
});

describe('stop()', () => {
  it('rejects in-flight and queued requests with UMD_STOPPED, ends the process, and is idempotent', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    await m.start();
    const pid = m.pid!;
    const pending = Array.from({ length: 5 }, () => m.request(text('sleep:10000')));
    await sleep(50);
    expect(m.stats()).toMatchObject({ inFlight: 1, queued: 4 });
    const exits: unknown[] = [];
    m.on('exit', (e) => exits.push(e));
    const first = m.stop({ graceMs: 300 });
    expect(m.stop()).toBe(first);
    expect(m.state).toBe('stopping');
    expect((await rejection(m.request(text('late')))).code).toBe('UMD_STOPPED');
    const errors = await Promise.all(pending.map(rejection));
    expect(errors.map((e) => e.code)).toEqual(Array(5).fill('UMD_STOPPED'));
    await first;
    await m.stop();
    expect(m.state).toBe('stopped');
    // The handler finishes in-flight work after stdin EOF; its 10 s sleep outlasts the grace:
    // SIGTERM ends it, in a PID namespace too (it is pid 2 there, under an init that passes the
    // signal on; as the namespace's init it would get none it does not handle).
    expect(exits).toEqual([{ pid, exitCode: null, signal: 'SIGTERM', expected: true }]);
    expect(descendantsOf(process.pid)).toEqual([]);
    // The manager stays usable; an idle handler exits by itself (code 0) on stdin EOF.
    expect(str(await m.request(text('again')))).toBe('again');
    const exit = new Promise((resolve) => m.once('exit', resolve));
    await m.stop();
    expect(await exit).toMatchObject({ exitCode: 0, signal: null, expected: true });
  });

  it('SIGKILLs a handler that ignores stdin EOF and SIGTERM', async () => {
    const m = managed({ loader: fixtureLoader('stubborn') });
    const ignored = new Promise<void>((resolve) =>
      m.on('stderr', (line) => line === 'fixture: ignoring SIGTERM' && resolve()),
    );
    await m.start();
    // That it survives SIGTERM is seen from a SIGTERM of the test's, before the stop: within
    // the stop, a loaded machine may not run its handler before the grace ends in SIGKILL.
    process.kill(handlerPid(m), 'SIGTERM');
    await ignored;
    const exit = once(m, 'exit');
    await m.stop({ graceMs: 100 });
    // Neither the end of its stdin (exit code 0) nor the SIGTERM ended it.
    expect((await exit)[0]).toMatchObject({ signal: 'SIGKILL', expected: true });
  });

  it('stop() ends the whole process group, and a crashed leader takes its group along', async () => {
    const m = managed({ loader: fixtureLoader('echo'), sandbox: { permission: false } });
    await m.request(text('sleeper:'));
    const sleeper = sleeperOf(m);
    expect(isAlive(sleeper)).toBe(true);
    await m.stop({ graceMs: 100 });
    // The group got its SIGKILL before stop() resolved; the sleeper (1000 s) dies when the
    // kernel next runs it, which a loaded machine may delay past the stop's bounded wait.
    expect(await waitForDeath(sleeper)).toBe(true);
    await m.request(text('sleeper:'));
    const again = sleeperOf(m);
    const crashed = once(m, 'exit');
    process.kill(m.pid!, 'SIGKILL');
    // The manager kills the group when it sees its leader's exit: not before that.
    expect((await crashed)[0]).toMatchObject({ signal: 'SIGKILL', expected: false });
    expect(await waitForDeath(again)).toBe(true);
  });

  it('stops a handler that is still starting', async () => {
    const m = managed({ loader: fixtureLoader('echo'), env: { UMD_FIXTURE: 'no-hello' } });
    const pending = m.request(text('x'));
    await new Promise((resolve) => m.once('start', resolve));
    await m.stop({ graceMs: 100 });
    expect((await rejection(pending)).code).toBe('UMD_STOPPED');
  });
});
