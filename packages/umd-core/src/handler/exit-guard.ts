import { closeSync, writeSync } from 'node:fs';
import { inspect } from 'node:util';
import { STDERR_FD, STDOUT_FD } from './fd-io.js';

/**
 * Makes the handler's exit happen while a read of fd 0 is blocked on the thread pool.
 *
 * Node's exit joins the libuv thread pool, and a pool thread blocked in `read(0)` returns only
 * when the host writes or closes: a `process.exit()`, an uncaught exception or an unhandled
 * rejection while async work is pending would leave the process hanging, holding its pipes, and
 * the host would see a timeout instead of the exit. When that read is in progress, this writes
 * to stderr how the handler meant to exit (and the error, which Node prints only after the
 * 'exit' event) and ends the process with SIGKILL, which needs no join; where that cannot end
 * it, it closes fd 1 so that the host ends it.
 */
export function guardExit(name: string, readingOnThreadPool: () => boolean): void {
  let fatal: { error: unknown } | undefined;
  process.on('uncaughtExceptionMonitor', (error) => {
    fatal = { error };
  });
  process.on('exit', (code) => {
    if (!readingOnThreadPool()) return;
    const error = fatal === undefined ? '' : `${inspect(fatal.error)}\n`;
    try {
      writeSync(
        STDERR_FD,
        `${error}umd handler "${name}": exiting with code ${code}; a read of stdin is in progress, which Node's exit would wait for, so the handler ends itself at once\n`,
      );
    } catch {
      // stderr gone: the kill below still ends the process.
    }
    process.kill(process.pid, 'SIGKILL');
    // Still here: the handler is the init of a PID namespace, which its own SIGKILL does not end.
    // The end of the reply stream tells the host, which then ends the handler from outside; the
    // end of stderr keeps Node from printing the error a second time.
    for (const fd of [STDOUT_FD, STDERR_FD]) {
      try {
        closeSync(fd);
      } catch {
        // Already closed.
      }
    }
  });
}
