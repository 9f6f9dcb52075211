import type { ChildProcess } from 'node:child_process';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

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
      resolve(new UmdError(UmdErrorCode.CLOSED, 'the handler closed its stdout', { pid: child.pid }));
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

/** Requires the child's stdin and stdout to be pipes, else a typed error. */
export function childStreams(child: ChildProcess) {
  const { stdin, stdout } = child;
  if (!stdin || !stdout) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, "the child needs stdio 'pipe' for stdin and stdout");
  }
  return { stdin, stdout };
}
