import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { allowDirectReads } from './direct-reads.js';
import type { ReplySocket } from './reply-socket.js';
import type { StdioSockets } from './stdio-sockets.js';

/** How long to wait for the `exit` event after a child's stdout ended, to report its status. */
const EXIT_GRACE_MS = 250;

/**
 * The reason to close a child's channel with once its stdout ended (or its stdin refused a
 * write): `UMD_HANDLER_EXITED` with the exit code or signal when the child exits soon after (the
 * usual case), else `UMD_CLOSED` saying `what` happened.
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
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(new UmdError(UmdErrorCode.CLOSED, what, { pid: child.pid }));
    }, EXIT_GRACE_MS);
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
