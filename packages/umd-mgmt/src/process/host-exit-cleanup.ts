/**
 * Makes handlers die with their host. While at least one handler group is alive, listeners
 * on the host's `exit` and on SIGINT/SIGTERM/SIGHUP SIGKILL every live group. A signal is
 * then re-raised (if nobody else listens for it) so the host still dies of it, as it would
 * have without us. A SIGKILLed host cannot run code: its handlers see EOF on stdin and exit.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const liveGroups = new Set<number>();
let installed = false;

function killAll(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  liveGroups.clear();
}

function onExit(): void {
  killAll();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  uninstall();
  // We were the only listener: restore the default action (die of the signal).
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Registers a live handler process group (its leader's pid). */
export function trackHandlerGroup(pgid: number): void {
  liveGroups.add(pgid);
  install();
}

/** Forgets a handler group once it is gone; drops the host listeners when none is left. */
export function untrackHandlerGroup(pgid: number): void {
  liveGroups.delete(pgid);
  if (liveGroups.size === 0) uninstall();
}
