/**
 * A driver's selftest, the part every driver shares: what the kernel's `umd_mgmt.sh` did, and
 * what it left out. Through the driver's own request function:
 *  1. many requests from a seeded random sequence, unloading the loader every so often, so
 *     that the next request loads it and starts the handler again;
 *  2. invalid requests the host must refuse unsent, and malformed ones sent past the host's
 *     checks that the handler must refuse itself;
 *  3. the handler killed with SIGKILL between two requests and during one: the next request
 *     must succeed on a fresh handler, and the one in flight gets a reply or a typed error;
 *  4. at the end, no handler process left (the process table, not the manager's word).
 * The driver supplies only what is its own: a valid request and its check, and its bad inputs.
 */
import { isUmdError, UmdErrorCode } from '@umd/core';
import { childrenOf, isAlive, pollUntil } from '@umd/core/testing';
import type { UmdManager } from '../manager/umd-manager.js';
import { waitForExit } from '../observability/wait-for-exit.js';

/** A request that must not succeed, with what to call it in the report. */
export interface SelftestBadRequest {
  /** Names the request in `problems` (for example the bad value). */
  label: string;
  /** Sends it; must reject. */
  send: () => Promise<unknown>;
}

/** A request sent past the host's checks, which the handler must refuse itself. */
export interface SelftestMalformedRequest extends SelftestBadRequest {
  /** Whether `error` is the refusal expected (for example `UMD_HANDLER_ERROR` with -22). */
  refused: (error: unknown) => boolean;
}

/** Options of {@link runManagerSelftest}. */
export interface ManagerSelftestOptions {
  /** The driver's manager. It is stopped at the end. */
  manager: UmdManager;
  /**
   * One valid request through the driver, checked: resolves if the reply is right, rejects
   * (with what was wrong) otherwise. `random` returns numbers in [0, 1) from the seeded sequence.
   * Let the manager's `UmdError`s through as they are: a request in flight when its handler is
   * killed must end in a reply or a typed error, and anything else is a problem.
   */
  request: (random: () => number) => Promise<unknown>;
  /** Requests the host must refuse unsent, with `UMD_INVALID_ARGUMENT`. */
  invalid?: readonly SelftestBadRequest[];
  /** Requests that bypass the host's checks: the handler must refuse each. */
  malformed?: readonly SelftestMalformedRequest[];
  /** Names the run in the log lines (the manager's name). */
  name?: string;
  /** Requests from the random sequence (500). */
  requests?: number;
  /** Unload the loader after every this many requests (50). */
  unloadEvery?: number;
  /** Seed of the random sequence (random); in the report, so that a run can be replayed. */
  seed?: number;
  /** Receives one line per step, as it happens (nothing). */
  log?: (line: string) => void;
  /** Stops the run between two steps. */
  signal?: AbortSignal;
}

/** What {@link runManagerSelftest} saw. `problems` is empty when the selftest passed. */
export interface ManagerSelftestReport {
  /** Seed of the random sequence: pass it back as `seed` to replay the run. */
  seed: number;
  /** Valid requests that succeeded. */
  succeeded: number;
  /** Valid requests sent in all, including the ones around the kills. */
  sent: number;
  /** Loader imports seen through the manager's `load` event. */
  loads: number;
  /** Handler processes started, seen through the manager's `start` event. */
  starts: number;
  /** Distinct handler process ids. */
  pids: number;
  /** Invalid and malformed requests refused as they should be. */
  refused: number;
  /** How the request in flight during the kill ended: `reply`, or the typed error's code. */
  killedInFlight: string;
  /** Handler processes still alive at the end (must be empty). */
  leftovers: number[];
  /** Wall-clock time of the whole run. */
  durationMs: number;
  /** Everything that went wrong; empty when the selftest passed. */
  problems: string[];
}

/** Runs the selftest. Never throws for a failed check: see `problems`. */
export async function runManagerSelftest(
  options: ManagerSelftestOptions,
): Promise<ManagerSelftestReport> {
  const { manager, requests = 500, unloadEvery = 50, log = () => {}, signal } = options;
  const name = options.name ?? manager.name;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = mulberry32(seed);
  const started = performance.now();
  const childrenBefore = new Set(childrenOf(process.pid).map((child) => child.pid));
  const pids = new Set<number>();
  const problems: string[] = [];
  const counts = { loads: 0, starts: 0, succeeded: 0, sent: 0, refused: 0 };
  let killedInFlight = 'not run';

  const onLoad = () => (counts.loads += 1);
  const onStart = ({ pid }: { pid: number }) => {
    counts.starts += 1;
    pids.add(pid);
  };
  const onError = () => {}; // failures reach us through the requests' own errors
  manager.on('load', onLoad);
  manager.on('start', onStart);
  manager.on('error', onError);

  const valid = async (step: string): Promise<boolean> => {
    counts.sent += 1;
    try {
      await options.request(random);
      counts.succeeded += 1;
      return true;
    } catch (error) {
      problems.push(`${step}: ${describe(error)}`);
      return false;
    }
  };

  log(`selftest ${name}: ${requests} requests, unload every ${unloadEvery}, seed ${seed}`);
  try {
    // Mid-run, but not right after an unload: the kill needs a running handler.
    let killBetweenAt = Math.floor(requests / 2);
    while (killBetweenAt % unloadEvery === 0) killBetweenAt += 1;
    for (let i = 0; i < requests; i++) {
      signal?.throwIfAborted();
      if (i > 0 && i % unloadEvery === 0) {
        await manager.unload();
        log(`  ${i} requests done; loader unloaded`);
      }
      if (i === killBetweenAt) await killBetweenRequests(manager, valid, log, problems);
      await valid(`request ${i + 1}`);
    }
    log(
      `  ${counts.succeeded}/${counts.sent} requests so far succeeded, by ${pids.size} handler processes`,
    );
    counts.refused += await sendBad(options.invalid ?? [], problems, (error) =>
      isUmdError(error, UmdErrorCode.INVALID_ARGUMENT),
    );
    for (const malformed of options.malformed ?? []) {
      counts.refused += await sendBad([malformed], problems, malformed.refused);
    }
    await valid('request after the invalid ones');
    log(`  ${counts.refused} invalid requests refused; the handler still answers`);

    killedInFlight = await killDuringRequest(manager, options.request, random, valid, problems);
    await valid('request after the kill during a request');
    log(
      `  handler killed during a request (${killedInFlight}); the next request succeeded on pid ${String(manager.pid)}`,
    );
  } catch (error) {
    problems.push(`selftest stopped: ${describe(error)}`);
  } finally {
    await manager.stop();
    manager.off('load', onLoad);
    manager.off('start', onStart);
    manager.off('error', onError);
  }

  // Trust only the process table; give the kernel time to reap (a loaded machine needs more).
  const alive = () => [
    ...[...pids].filter(isAlive),
    ...childrenOf(process.pid)
      .map((child) => child.pid)
      .filter((pid) => !childrenBefore.has(pid) && !pids.has(pid)),
  ];
  await pollUntil(() => alive().length === 0);
  const leftovers = alive();
  if (leftovers.length > 0) problems.push(`handler processes left alive: ${leftovers.join(', ')}`);
  const report: ManagerSelftestReport = {
    seed,
    ...counts,
    pids: pids.size,
    killedInFlight,
    leftovers,
    durationMs: Math.round(performance.now() - started),
    problems,
  };
  log(
    `  ${problems.length === 0 ? 'PASS' : 'FAIL'} ${name}: ${counts.loads} loads, ${counts.starts} starts, ${report.durationMs} ms, no process left: ${leftovers.length === 0}`,
  );
  for (const problem of problems) log(`  problem: ${problem}`);
  return report;
}

type Valid = (step: string) => Promise<boolean>;

/** Kills the idle handler; once the manager has seen the exit, the next request must succeed on a new pid. */
async function killBetweenRequests(
  manager: UmdManager,
  valid: Valid,
  log: (line: string) => void,
  problems: string[],
): Promise<void> {
  const pid = manager.pid;
  if (pid === undefined) {
    problems.push('no handler running before the kill between requests');
    return;
  }
  const exited = waitForExit(manager, pid);
  process.kill(pid, 'SIGKILL');
  await exited;
  if (!(await valid(`request after killing handler ${pid}`))) return;
  if (manager.pid === pid)
    problems.push(`after the kill the reply came from the killed pid ${pid}`);
  else
    log(
      `  handler ${pid} killed with SIGKILL between requests; the next request succeeded on pid ${String(manager.pid)}`,
    );
}

/** Kills the handler while a request is in flight: that request gets a reply or a typed error, never anything else. */
async function killDuringRequest(
  manager: UmdManager,
  request: ManagerSelftestOptions['request'],
  random: () => number,
  valid: Valid,
  problems: string[],
): Promise<string> {
  if (!(await valid('request before the kill during a request'))) return 'not run';
  const pid = manager.pid as number;
  const exited = waitForExit(manager, pid);
  const pending = request(random);
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

/** Sends each bad request; counts those refused as `expected` says, notes the others. */
async function sendBad(
  bad: readonly SelftestBadRequest[],
  problems: string[],
  expected: (error: unknown) => boolean,
): Promise<number> {
  let refused = 0;
  for (const { label, send } of bad) {
    try {
      await send();
      problems.push(`${label} was accepted`);
    } catch (error) {
      if (expected(error)) refused += 1;
      else problems.push(`${label}: not the expected refusal: ${describe(error)}`);
    }
  }
  return refused;
}

function describe(error: unknown): string {
  if (isUmdError(error)) return `${error.code}: ${error.message}`;
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
