/**
 * Makes handlers die with their host. While at least one handler group is alive, a listener
 * on the host's `exit` SIGKILLs every live group, and so do listeners on SIGINT/SIGTERM/SIGHUP
 * when nobody else handles the signal; the signal is then re-raised so the host still dies of
 * it, as it would have without us. A SIGKILLed host cannot run code: its handlers see EOF on
 * stdin and exit.
 *
 * The signal listeners go in one event-loop turn after a handler is tracked, not during its
 * start: each costs Node a signal handle, a noticeable share of a native handler's cold start
 * (the mgmt bench's cold-start rows), and the turn falls while the new handler is still loading. A host killed by a signal
 * within that turn loses nothing either: its handlers see EOF on stdin and exit.
 *
 * Private blob directories not yet removed are removed synchronously by the same hooks, so a
 * host that calls `process.exit()` right after `stop()` leaves nothing in the staging directory.
 */
import { rmSync } from 'node:fs';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const liveGroups = new Set<number>();
const stagedDirs = new Set<string>();
let installed = false;
let signalsInstalled = false;
let pendingSignals: ReturnType<typeof setImmediate> | undefined;

function killAll(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
  for (const dir of stagedDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // nothing more can be done at exit
    }
  }
  stagedDirs.clear();
}

function onExit(): void {
  killAll();
}

function onSignal(signal: NodeJS.Signals): void {
  // The application handles this signal itself (a graceful shutdown may still need its
  // handlers): leave them to it; the exit hook kills them when the host really exits.
  if (process.listenerCount(signal) > 1) return;
  killAll();
  uninstall();
  // We were the only listener: restore the default action (die of the signal).
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  pendingSignals = setImmediate(() => {
    pendingSignals = undefined;
    signalsInstalled = true;
    for (const signal of SIGNALS) process.on(signal, onSignal);
  });
  pendingSignals.unref();
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  if (pendingSignals !== undefined) clearImmediate(pendingSignals);
  pendingSignals = undefined;
  if (signalsInstalled) for (const signal of SIGNALS) process.off(signal, onSignal);
  signalsInstalled = false;
}

/** Registers a live handler process group (its leader's pid). */
export function trackHandlerGroup(pgid: number): void {
  liveGroups.add(pgid);
  install();
}

/** Forgets a handler group once it is gone; drops the host listeners when none is left. */
export function untrackHandlerGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0 && stagedDirs.size === 0) uninstall();
}

/** Registers a private blob directory, removed at host exit if it still exists then. */
export function trackStagedDir(dir: string): void {
  stagedDirs.add(dir);
  install();
}

/** Forgets a private blob directory once it is removed. */
export function untrackStagedDir(dir: string): void {
  stagedDirs.delete(dir);
  if (liveGroups.size === 0 && stagedDirs.size === 0) uninstall();
}
