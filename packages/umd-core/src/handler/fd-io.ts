import { readSync, writeSync, writevSync, read } from 'node:fs';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/** fd 0, 1 and 2 of the handler. */
export const STDIN_FD = 0;
export const STDOUT_FD = 1;
export const STDERR_FD = 2;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? (error as { code?: string }).code
    : undefined;
}

/** Raised when the host closed its end of fd 1: nobody is left to answer. */
export class HostGoneError extends Error {}

/**
 * Writes every byte of `chunks` to `fd`, in order, blocking. fd 1 of a spawned child is a blocking
 * socket, so this is one `write`/`writev` per reply; should someone have made it non-blocking,
 * EAGAIN waits a millisecond and retries rather than losing bytes.
 */
export function writeAllSync(fd: number, chunks: Uint8Array[]): void {
  if (chunks.length === 1) {
    // The common case, one buffer: no array work.
    const only = chunks[0]!;
    let written = 0;
    try {
      written = writeSync(fd, only);
    } catch {
      // EAGAIN, EPIPE and the rest are handled below
    }
    if (written === only.byteLength) return;
    chunks = [only.subarray(written)];
  }
  const list = chunks.filter((chunk) => chunk.byteLength > 0);
  while (list.length > 0) {
    let written: number;
    try {
      written = list.length === 1 ? writeSync(fd, list[0]!) : writevSync(fd, list);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      if (code === 'EPIPE' || code === 'ECONNRESET')
        throw new HostGoneError('the host closed the reply stream');
      throw error;
    }
    while (written > 0 && list.length > 0) {
      const first = list[0]!;
      if (written >= first.byteLength) {
        written -= first.byteLength;
        list.shift();
      } else {
        list[0] = first.subarray(written);
        written = 0;
      }
    }
  }
}

/** Outcome of a read attempt: byte count (0 = end of file) or `again` when the fd is non-blocking and empty. */
export type ReadResult = number | 'again';

/** One blocking read into `target`; `again` when fd 0 turned out to be non-blocking. */
export function readOnceSync(fd: number, target: Uint8Array): ReadResult {
  for (;;) {
    try {
      return readSync(fd, target, 0, target.byteLength, null);
    } catch (error) {
      const code = errnoCode(error);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return 'again';
      if (code === 'EINTR') continue;
      if (code === 'ECONNRESET') return 0;
      throw error;
    }
  }
}

/** One read on the libuv thread pool, so the event loop keeps running while it blocks. */
export function readOnceAsync(
  fd: number,
  target: Uint8Array,
  done: (error: Error | null, result: ReadResult) => void,
): void {
  read(fd, target, 0, target.byteLength, null, (error, bytesRead) => {
    if (error) {
      const code = errnoCode(error);
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return done(null, 'again');
      if (code === 'ECONNRESET') return done(null, 0);
      return done(error, 0);
    }
    done(null, bytesRead);
  });
}

/** Fails when a handler built for one mode is started in the other (env `UMD_PROTOCOL`). */
export function checkProtocolMode(expected: 'framed' | 'raw', api: string): void {
  const mode = process.env.UMD_PROTOCOL;
  if (mode !== undefined && mode !== '' && mode !== expected) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `${api}() speaks the ${expected} protocol but UMD_PROTOCOL is "${mode}"`,
    );
  }
}
