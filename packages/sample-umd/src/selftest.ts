/**
 * The selftest: what the kernel's `umd_mgmt.sh` did, and what it left out. For one handler:
 *  1. many requests with random offsets (multiples of 1 KiB), unloading the loader every so
 *     often, so that the next request loads it and starts the handler again;
 *  2. invalid offsets, refused before they reach the handler, and a malformed request sent
 *     past that check, refused by the handler itself;
 *  3. the handler killed with SIGKILL between two requests and during one: the next request
 *     must succeed on a fresh handler;
 *  4. at the end, no handler process left (a scan of the process table, not the manager's word).
 */
import { isUmdError, UmdError, UmdErrorCode } from '@umd/core';
import { REPLY_SIZE } from './contract.js';
import { type HandlerKind, handlers } from './handlers.js';
import { createSampleManager, type SampleManager, type SampleManagerOptions } from './manager.js';
import { childrenOf, isAlive } from '@umd/core/testing';
import { waitForExit } from './wait-for-exit.js';

/** Options of {@link runSelftest}. */
export interface SelftestOptions {
  /** Which handler to test (`'ts'`). */
  handler?: HandlerKind;
  /** Requests with random valid offsets (500). */
  requests?: number;
  /** Unload the loader after every this many requests (50). */
  unloadEvery?: number;
  /** Seed of the offsets' random sequence (random); printed in the report so a run can be replayed. */
  seed?: number;
  /** Receives one line per step, as it happens (nothing). */
  log?: (line: string) => void;
  /** Extra `UmdManager` options. */
  managerOptions?: Omit<SampleManagerOptions, 'handler'>;
  /** Stops the run between two steps. */
  signal?: AbortSignal;
}

/** What {@link runSelftest} saw. `problems` is empty when the selftest passed. */
export interface SelftestReport {
  /** The handler tested. */
  handler: HandlerKind;
  /** Seed of the random offsets: pass it back as `seed` to replay the run. */
  seed: number;
  /** Requests with valid offsets that got a correct reply. */
  succeeded: number;
  /** Valid requests sent in all, including the ones around the kills. */
  sent: number;
  /** Loader imports seen through the manager's `load` event. */
  loads: number;
  /** Handler processes started, seen through the manager's `start` event. */
  starts: number;
  /** Distinct handler process ids. */
  pids: number;
  /** Invalid requests refused, by the host or by the handler. */
  refused: number;
  /** How the request in flight during the kill ended: its reply, or the typed error's code. */
  killedInFlight: string;
  /** Handler processes still alive at the end (must be empty). */
  leftovers: number[];
  /** Wall-clock time of the whole run. */
  durationMs: number;
  /** Everything that went wrong; empty when the selftest passed. */
  problems: string[];
}

/** Offsets that must be refused, and why each is invalid. */
const INVALID_OFFSETS = [REPLY_SIZE, REPLY_SIZE + 1024, 2 ** 32 - 1, -1, 1.5, Number.NaN];

/** Runs the selftest against one handler. Never throws for a failed check: see `problems`. */
export async function runSelftest(options: SelftestOptions = {}): Promise<SelftestReport> {
  const { handler = 'ts', requests = 500, unloadEvery = 50, log = () => {}, signal } = options;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = mulberry32(seed);
  const started = performance.now();
  const childrenBefore = new Set(childrenOf(process.pid).map((child) => child.pid));
  const pids = new Set<number>();
  const problems: string[] = [];
  let loads = 0;
  let succeeded = 0;
  let sent = 0;
  let refused = 0;
  let killedInFlight = 'not run';
  let starts = 0;

  const driver = createSampleManager({ ...options.managerOptions, handler });
  const { manager } = driver;
  manager.on('load', () => (loads += 1));
  manager.on('start', ({ pid }: { pid: number }) => {
    starts += 1;
    pids.add(pid);
  });
  manager.on('error', () => {}); // failures reach us through the requests' own errors

  const check = async (offset: number, step: string): Promise<boolean> => {
    sent += 1;
    try {
      await driver.check(offset);
      succeeded += 1;
      return true;
    } catch (error) {
      problems.push(`${step}: offset ${offset}: ${describe(error)}`);
      return false;
    }
  };

  log(
    `selftest ${handler} (${handlers[handler].mode} mode): ${requests} requests, unload every ${unloadEvery}, seed ${seed}`,
  );
  try {
    // Mid-run, but not right after an unload: the kill needs a running handler.
    let killBetweenAt = Math.floor(requests / 2);
    while (killBetweenAt % unloadEvery === 0) killBetweenAt += 1;
    for (let i = 0; i < requests; i++) {
      signal?.throwIfAborted();
      if (i > 0 && i % unloadEvery === 0) {
        await driver.unload();
        log(`  ${i} requests done; loader unloaded`);
      }
      if (i === killBetweenAt) await killBetweenRequests(driver, check, log, problems);
      const offset = Math.floor(random() * (REPLY_SIZE / 1024)) * 1024;
      await check(offset, `request ${i + 1}`);
    }
    log(
      `  ${succeeded}/${sent} requests so far answered correctly, by ${pids.size} handler processes`,
    );

    for (const offset of INVALID_OFFSETS) {
      try {
        await driver.check(offset);
        problems.push(`invalid offset ${offset} was accepted`);
      } catch (error) {
        if (isUmdError(error, UmdErrorCode.INVALID_ARGUMENT)) refused += 1;
        else
          problems.push(
            `invalid offset ${offset}: expected UMD_INVALID_ARGUMENT, got ${describe(error)}`,
          );
      }
    }
    refused += await sendMalformed(driver, problems);
    await check(4096, 'request after the invalid ones');
    log(`  ${refused} invalid requests refused; the handler still answers`);

    killedInFlight = await killDuringRequest(driver, check, problems);
    await check(2048, 'request after the kill during a request');
    log(
      `  handler killed during a request (${killedInFlight}); the next request succeeded on pid ${String(driver.pid)}`,
    );
  } catch (error) {
    problems.push(`selftest stopped: ${describe(error)}`);
  } finally {
    await driver.stop();
  }

  // Give the kernel a moment to reap, then trust only the process table.
  const leftovers = await settle(() => [
    ...[...pids].filter(isAlive),
    ...childrenOf(process.pid)
      .map((child) => child.pid)
      .filter((pid) => !childrenBefore.has(pid) && !pids.has(pid)),
  ]);
  if (leftovers.length > 0) problems.push(`handler processes left alive: ${leftovers.join(', ')}`);
  const report: SelftestReport = {
    handler,
    seed,
    succeeded,
    sent,
    loads,
    starts,
    pids: pids.size,
    refused,
    killedInFlight,
    leftovers,
    durationMs: Math.round(performance.now() - started),
    problems,
  };
  log(
    `  ${problems.length === 0 ? 'PASS' : 'FAIL'} ${handler}: ${loads} loads, ${starts} starts, ${report.durationMs} ms, no process left: ${leftovers.length === 0}`,
  );
  for (const problem of problems) log(`  problem: ${problem}`);
  return report;
}

type Check = (offset: number, step: string) => Promise<boolean>;

/** Kills the idle handler; once the manager has seen the exit, the next request must succeed on a new pid. */
async function killBetweenRequests(
  driver: SampleManager,
  check: Check,
  log: (line: string) => void,
  problems: string[],
): Promise<void> {
  const pid = driver.pid;
  if (pid === undefined) {
    problems.push('no handler running before the kill between requests');
    return;
  }
  const exited = waitForExit(driver.manager, pid);
  process.kill(pid, 'SIGKILL');
  await exited;
  if (!(await check(1024, `request after killing handler ${pid}`))) return;
  if (driver.pid === pid) problems.push(`after the kill the reply came from the killed pid ${pid}`);
  else
    log(
      `  handler ${pid} killed with SIGKILL between requests; the next request succeeded on pid ${String(driver.pid)}`,
    );
}

/** Kills the handler while a request is in flight. That request gets a reply or a typed error; never anything else. */
async function killDuringRequest(
  driver: SampleManager,
  check: Check,
  problems: string[],
): Promise<string> {
  if (!(await check(0, 'request before the kill during a request'))) return 'not run';
  const pid = driver.pid as number;
  const exited = waitForExit(driver.manager, pid);
  const pending = driver.check(8192);
  // Let the manager write the request, then kill the handler under it.
  await new Promise((resolve) => setImmediate(resolve));
  process.kill(pid, 'SIGKILL');
  const outcome = await pending.then(
    () => 'reply',
    (error: unknown) => (isUmdError(error) ? error.code : `untyped error ${describe(error)}`),
  );
  if (outcome.startsWith('untyped')) problems.push(`request during the kill: ${outcome}`);
  await exited;
  return outcome;
}

/** Sends requests that bypass `check()`'s validation: the handler must refuse them itself, or die cleanly (raw mode). */
async function sendMalformed(driver: SampleManager, problems: string[]): Promise<number> {
  const bad = new Uint8Array(4);
  new DataView(bad.buffer).setUint32(0, REPLY_SIZE, true);
  try {
    if (handlers[driver.handler].mode === 'raw') {
      // Raw mode has no error frame: the handler stops (status 22) and the request fails.
      await driver.manager.requestRaw(bad, REPLY_SIZE);
    } else {
      await driver.manager.request(bad);
    }
    problems.push('the handler answered a request with offset 131072');
    return 0;
  } catch (error) {
    if (isUmdError(error, UmdErrorCode.HANDLER_ERROR) && error.handlerCode === -22) return 1;
    if (handlers[driver.handler].mode === 'raw' && isUmdError(error)) return 1;
    problems.push(`malformed request: unexpected ${describe(error)}`);
    return 0;
  }
}

async function settle(probe: () => number[]): Promise<number[]> {
  let found = probe();
  for (let i = 0; i < 20 && found.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    found = probe();
  }
  return found;
}

function describe(error: unknown): string {
  if (error instanceof UmdError || isUmdError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** A small seeded generator, so that a failed run can be replayed with its seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
