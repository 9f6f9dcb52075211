import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { allowDirectReads } from './direct-reads.js';
import type { ReplySocket } from './reply-socket.js';
import type { StdioSockets } from './stdio-sockets.js';

/** How long to wait for the `exit` event after a child's stdout ended, to report its status. */
const EXIT_GRACE_MS = 250;
/** The longest wait for the `exit` event of a child the kernel shows exiting (one hung there). */
const EXITING_MAX_MS = 10_000;
/** The `flags` bit of /proc/<pid>/stat the kernel sets when a task starts to exit. */
const PF_EXITING = 0x4;

/**
 * Whether the kernel shows process `pid` exiting, or exited and not yet reaped: its `exit`
 * event then waits only for the host's event loop. PF_EXITING is set before the process's files
 * close, so a child whose stdout ended by its exit always shows it. False when unreadable.
 */
export function isExiting(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return false;
  }
  // The fields after the command, which is in parentheses and may itself hold ') '.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const flags = Number(fields[6]);
  return state === 'Z' || state === 'X' || (flags & PF_EXITING) !== 0;
}

/**
 * The reason to close a child's channel with once its stdout ended (or its stdin refused a
 * write): `UMD_HANDLER_EXITED` with the exit code or signal when the child exits soon after (the
 * usual case) or the kernel shows it exiting, else `UMD_CLOSED` saying `what` happened.
 */
export function childEndReason(
  child: ChildProcess,
  what = 'the handler closed its stdout',
): Promise<UmdError> {
  const exited = () =>
    new UmdError(
      UmdErrorCode.HANDLER_EXITED,
      `the handler exited (${child.signalCode ? `signal ${child.signalCode}` : `code ${child.exitCode}`})`,
      { exitCode: child.exitCode, signal: child.signalCode, pid: child.pid },
    );
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(exited());
  return new Promise((resolve) => {
    const since = performance.now();
    // The grace is wall time, which a loaded host can spend descheduled while the exit it waits
    // for is already done: a child the kernel shows exiting gets its `exit` waited for (bounded).
    const giveUp = () => {
      if (isExiting(child.pid) && performance.now() - since < EXITING_MAX_MS) {
        timer = setTimeout(giveUp, EXIT_GRACE_MS);
        return;
      }
      child.off('exit', onExit);
      resolve(new UmdError(UmdErrorCode.CLOSED, what, { pid: child.pid }));
    };
    let timer = setTimeout(giveUp, EXIT_GRACE_MS);
    const onExit = () => {
      clearTimeout(timer);
      resolve(exited());
    };
    child.once('exit', onExit);
  });
}

/** Kills a child whose stream can no longer be trusted; a child already gone is ignored. */
export function killUntrusted(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Options of `fromChild()` beyond the channel's own. */
export interface ChildChannelOptions {
  /**
   * The {@link ReplySocket} the child was spawned with as its fd 1 (then `child.stdout` is null):
   * the channel reads replies from its host end, straight into their buffers. It is released
   * (the host's copy of the child's end closed) at once.
   */
  replySocket?: ReplySocket;
  /**
   * The {@link StdioSockets} the child was spawned with as its fd 0 and fd 1 (then `child.stdin`
   * and `child.stdout` are null): the channel writes requests to their host ends and reads
   * replies straight into their buffers. They are released at once. Not with `replySocket`.
   */
  stdioSockets?: StdioSockets;
}

/**
 * Where the channel writes to the child, and where its output comes from: the stdio sockets' or
 * reply socket's host ends if given, else its stdin and stdout. Both must exist (stdio `'pipe'`),
 * else a typed error.
 */
export function childStreams(
  child: ChildProcess,
  options: ChildChannelOptions,
): { stdin: Writable; stdout: Readable } {
  const { replySocket, stdioSockets } = options;
  if (replySocket !== undefined && stdioSockets !== undefined)
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'give replySocket or stdioSockets, not both');
  replySocket?.release();
  stdioSockets?.release();
  const stdin = stdioSockets ? stdioSockets.requests : child.stdin;
  const stdout = stdioSockets?.replies ?? replySocket?.hostEnd ?? child.stdout;
  if (!stdin || !stdout) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      "the child needs stdio 'pipe' for stdin and stdout (or a replySocket as its stdout, or stdioSockets)",
    );
  }
  // The channel is the stdout's only reader from now on: its reads may land straight in reply buffers.
  if (!replySocket && !stdioSockets) allowDirectReads(stdout, `child ${child.pid} stdout`);
  return { stdin, stdout };
}
