import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';

/** How a handler process ended. */
export interface ExitInfo {
  /** Exit status, or `null` when a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
}

// After the leader exits, wait this long for its stdio to close before reporting the exit anyway
// (a stray grandchild could hold stderr open; it gets SIGKILLed with the group).
const CLOSE_AFTER_EXIT_MS = 250;
const GROUP_GONE_MAX_MS = 200;

type Refable = { ref?: () => void } | null;

/** What {@link trackExit} watches and whom it tells. */
export interface ExitWatch {
  child: ChildProcess;
  /** Where requests go (its stdin, or the host end of a stdio socket). */
  input: Writable;
  /** Where the handler's replies arrive (its stdout, or the host end of a stdio or reply socket). */
  output: Readable;
  /** `output` is the host's own socket, not one of Node's child pipes. */
  ownOutput: boolean;
  /** Whether the manager has work pending (then the pipes are drained before the host may exit). */
  referenced: () => boolean;
  /** The leader exited: drain stderr now. */
  onLeaderExit: () => void;
  /** Last steps before "exited" (the rest of stderr, the blob copy), awaited. */
  beforeExited: () => Promise<void>;
}

/**
 * Resolves once the process group is gone and the handler's stdio has closed (bounded: a
 * straggler holding a pipe open does not hold the exit back beyond {@link CLOSE_AFTER_EXIT_MS}).
 * At the leader's exit the rest of its group is SIGKILLed.
 */
export function trackExit(watch: ExitWatch): Promise<ExitInfo> {
  const { child, input, output, ownOutput } = watch;
  return new Promise<ExitInfo>((resolve) => {
    let info: ExitInfo | undefined;
    let finishing = false;
    // Cleared once finished, so an exit does not keep the process objects alive for its length.
    let closeDeadline: NodeJS.Timeout | undefined;
    // Node's 'close' covers the child's own pipes; the host's own socket is not one of them, so
    // its close is awaited as well: every reply byte is delivered before "exited".
    let closesNeeded = ownOutput && !output.destroyed ? 2 : 1;
    const closed = () => {
      closesNeeded--;
      finish();
    };
    const finish = (force = false) => {
      if (finishing || info === undefined || (closesNeeded > 0 && !force)) return;
      finishing = true;
      clearTimeout(closeDeadline);
      // A straggler may have held fd 1 or 2 open until the forced finish (one that left the
      // group can still be alive): stop reading its pipes, so it costs the host nothing more.
      if (ownOutput) output.destroy();
      if (force) for (const stream of [child.stdout, child.stderr]) stream?.destroy();
      const exit = info;
      void groupGone(child.pid!)
        .then(watch.beforeExited)
        .then(() => resolve(exit));
    };
    child.once('exit', (exitCode, signal) => {
      info = { exitCode, signal };
      // As Node does with a child's stdin pipe: nothing reads it any more.
      if (!input.destroyed) input.destroy();
      watch.onLeaderExit();
      // Stragglers of the group (a native handler's children) must not outlive their leader.
      signalGroup(child.pid!, 'SIGKILL');
      // The child handle is gone now; if work is pending, let the pipes drain before the host may exit.
      const referenced = watch.referenced();
      if (referenced) for (const stream of [output, child.stderr]) (stream as Refable)?.ref?.();
      closeDeadline = setTimeout(finish, CLOSE_AFTER_EXIT_MS, true);
      if (!referenced) closeDeadline.unref();
      finish();
    });
    child.once('close', closed);
    if (closesNeeded === 2) output.once('close', closed);
  });
}

/** Sends `signal` to process group `pgid`; a group already gone is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone
  }
}

/**
 * Waits (briefly, bounded) until no process of the group is left after the SIGKILL sent at
 * the leader's exit, so "exited" means the whole group. Without stragglers the first probe
 * already fails; an unreaped zombie (slow init) cannot delay it beyond the bound.
 */
async function groupGone(pgid: number): Promise<void> {
  const end = performance.now() + GROUP_GONE_MAX_MS;
  for (;;) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return; // ESRCH: nobody left
    }
    if (performance.now() >= end) return;
    await delay(2);
  }
}
