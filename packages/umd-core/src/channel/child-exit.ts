import type { ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { allowDirectReads } from './direct-reads.js';
import type { ReplySocket } from './reply-socket.js';

/** How long to wait for the `exit` event after a child's stdout ended, to report its status. */
const EXIT_GRACE_MS = 250;

/**
 * The reason to close a child's channel with once its stdout ended: `UMD_HANDLER_EXITED` with the
 * exit code or signal when the child exits soon after (the usual case), else `UMD_CLOSED`.
 */
export function childEndReason(child: ChildProcess): Promise<UmdError> {
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
      resolve(
        new UmdError(UmdErrorCode.CLOSED, 'the handler closed its stdout', { pid: child.pid }),
      );
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
}

/**
 * The child's stdin, and where its output comes from: the reply socket's host end if given, else
 * its stdout. Both must exist (stdio `'pipe'`), else a typed error.
 */
export function childStreams(
  child: ChildProcess,
  replySocket?: ReplySocket,
): { stdin: Writable; stdout: Readable } {
  replySocket?.release();
  const { stdin } = child;
  const stdout = replySocket ? replySocket.hostEnd : child.stdout;
  if (!stdin || !stdout) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      "the child needs stdio 'pipe' for stdin and stdout (or a replySocket as its stdout)",
    );
  }
  // The channel is the stdout's only reader from now on: its reads may land straight in reply buffers.
  if (!replySocket) allowDirectReads(stdout, `child ${child.pid} stdout`);
  return { stdin, stdout };
}
