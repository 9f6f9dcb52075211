import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import {
  defineLoader,
  type HandlerMode,
  type Loader,
  UmdManager,
  type UmdManagerOptions,
  UmdPool,
  type UmdPoolOptions,
} from '../../src/index.js';
import { builtDir } from '../fixtures/built-dir.mjs';
import { descendantsOf, groupMembers, processTable } from './process-table.js';

/** Where the global setup put this run's built fixture blobs (a directory of the run's own). */
export const BUILT = builtDir();

/** A loader for a fixture blob built by the global setup. */
export function fixtureLoader(
  name: 'echo' | 'stubborn' | 'raw' | 'native-echo' | 'contract',
  overrides: Partial<Parameters<typeof defineLoader>[0]> = {},
): Loader {
  const manifest = JSON.parse(readFileSync(join(BUILT, `${name}.blob.json`), 'utf8')) as {
    file: string;
    sha256: string;
  };
  const mode: HandlerMode = name === 'raw' ? 'raw' : 'framed';
  const file = join(BUILT, manifest.file);
  return defineLoader({
    name,
    mode,
    ...(name === 'native-echo' ? { executable: file } : { script: file }),
    sha256: manifest.sha256,
    ...overrides,
  });
}

const managers: UmdManager[] = [];
const pids = new Set<number>();

/**
 * The start deadline of a test's manager or pool unless the test sets its own: the test's own
 * timeout (vitest.config.ts). The default 10 s is no bound a test checks, and on a loaded
 * machine a start can take longer (10.5 s once at load 22: lifecycle.test.ts's first start
 * failed with UMD_TIMEOUT); a start slower than the test fails with the test's timeout.
 */
const START_TIMEOUT_MS = 30_000;

/** A manager that is stopped after the test, and whose handler pids are checked to be gone. */
export function managed(
  options: Partial<UmdManagerOptions> & Pick<UmdManagerOptions, 'loader'>,
): UmdManager {
  const manager = new UmdManager({ name: 'test', startTimeoutMs: START_TIMEOUT_MS, ...options });
  manager.on('start', ({ pid }) => pids.add(pid));
  managers.push(manager);
  return manager;
}

const pools: UmdPool[] = [];

/** A pool that is stopped after the test, and whose handler pids are checked to be gone. */
export function pooled(options: Partial<UmdPoolOptions> & Pick<UmdPoolOptions, 'loader'>): UmdPool {
  const pool = new UmdPool({ name: 'test', startTimeoutMs: START_TIMEOUT_MS, ...options });
  pool.on('start', ({ pid }) => pids.add(pid));
  pools.push(pool);
  return pool;
}

/**
 * The handler process itself as the host sees it: `m.pid`, or with PID-namespace containment
 * the first child of the namespace's init (the one child of the supervisor that `m.pid` names):
 * inside, the init is pid 1 and the handler pid 2.
 */
export function handlerPid(m: UmdManager): number {
  const pid = m.pid!;
  if (m.stats().containment !== 'pid-namespace') return pid;
  const table = descendantsOf(pid).filter((p) => p.state !== 'Z');
  const inits = table.filter((p) => p.ppid === pid);
  expect(inits, 'the supervisor has one child, the namespace init').toHaveLength(1);
  const init = inits[0]!.pid;
  const handler = table.filter((p) => p.ppid === init && namespacePid(p.pid) === 2);
  expect(handler, 'the init has the handler as pid 2').toHaveLength(1);
  return handler[0]!.pid;
}

/** The pid of `pid` inside its own PID namespace (the last of `NSpid`). */
export function namespacePid(pid: number): number | undefined {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = /^NSpid:\s+(.*)$/m.exec(status)?.[1]?.trim().split(/\s+/);
  return field === undefined ? undefined : Number(field.at(-1));
}

/** `m.pid` and every process below it, in the order `descendantsOf` lists them. */
export function handlerTree(m: UmdManager): number[] {
  return [m.pid!, ...descendantsOf(m.pid!).map((p) => p.pid)];
}

/** Host pid of the `sleep` the echo fixture's `sleeper:` command started. */
export function sleeperOf(m: UmdManager): number {
  const sleeper = descendantsOf(m.pid!).find((p) => p.comm === 'sleep' && p.state !== 'Z');
  expect(sleeper, 'the sleeper runs').toBeDefined();
  return sleeper!.pid;
}

/** The handler's pid as the host sees it (inside its PID namespace it is 1): after a round trip. */
export async function pidOf(m: UmdManager): Promise<number> {
  await m.request(text('x'));
  return m.pid!;
}

/** Every value a timeout must refuse: Node's timers overflow at 2^31 and fire after ~1 ms. */
export const BAD_TIMEOUTS: readonly unknown[] = [
  -1,
  0,
  0.5,
  1000.5,
  Number.NaN,
  Number.NEGATIVE_INFINITY,
  2 ** 31,
  3e9,
  '100',
  true,
  {},
];

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Rejection of `promise` (fails the test if it resolves). */
export async function rejection(
  promise: Promise<unknown>,
): Promise<Record<string, unknown> & { code: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Record<string, unknown> & { code: string };
  }
  throw new Error('expected a rejection');
}

// After every test: stop what the test made, then look at the real process table.
afterEach(async () => {
  await Promise.all([
    ...managers.splice(0).map((m) => m.stop({ graceMs: 200 })),
    ...pools.splice(0).map((p) => p.stop({ graceMs: 200 })),
  ]);
  const table = processTable();
  const children = descendantsOf(process.pid, table);
  const groups = [...pids].flatMap((pgid) => groupMembers(pgid, table));
  pids.clear();
  expect(children, 'child processes of the test still exist').toEqual([]);
  expect(groups, 'handler process groups still have members').toEqual([]);
});
