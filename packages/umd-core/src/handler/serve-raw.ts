import { MAX_PAYLOAD_LIMIT } from '../codec/constants.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import {
  HostGoneError,
  STDIN_FD,
  STDOUT_FD,
  checkProtocolMode,
  readOnceSync,
  writeAllSync,
} from './fd-io.js';
import { guardStdout } from './stdout-guard.js';
import { allocatePayload } from '../shared/payload-buffer.js';
import { checkInteger } from '../shared/check-options.js';
import { type LoopOptions, resolveLoopOptions } from './serve-options.js';
import { isThenable } from '../shared/maybe-async.js';
import { loopCollection, type YoungCollection } from './young-collection.js';

/** Options of {@link serveRaw}. */
export interface RawServeOptions {
  /** Size of every request in bytes (the fixed struct the host writes), at least 1. */
  requestSize: number;
  /** Answers one request; the reply is written as it is, with no header. */
  handle(request: Uint8Array): Uint8Array | Promise<Uint8Array>;
  /** Exit the process when done (default true): 0 at end of input, 1 on failure. If false, `serveRaw()` resolves or rejects instead. */
  exitOnEnd?: boolean;
  /**
   * Read every request into the same buffer (default false): a request is then valid only until
   * its reply is written; copy what you keep. Returning the request itself is fine. Saves the page
   * faults of a fresh buffer per large request.
   */
  reuseRequestBuffers?: boolean;
  /** As `serve()`'s: fresh request bytes answered between two young-generation collections (default 4 MiB; 0: never). */
  collectAfterBytes?: number;
}

/**
 * Runs a raw-mode handler (the kernel's `umd_send_recv()` peer): reads requests of exactly
 * `requestSize` bytes from fd 0, writes each reply to fd 1, one at a time. Raw mode has no error
 * frame, so a throwing `handle` (or one returning something other than bytes) is logged to stderr
 * and the process exits 1: the host then sees a short read. At end of input between requests it
 * exits 0; in the middle of one, 1. Stray `console.log` output goes to stderr, as with `serve()`.
 */
export function serveRaw(options: RawServeOptions): Promise<void> {
  let loop: LoopOptions;
  let collection: YoungCollection;
  try {
    checkProtocolMode('raw', 'serveRaw');
    if (typeof options !== 'object' || options === null || typeof options.handle !== 'function') {
      throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'serveRaw() needs { requestSize, handle }');
    }
    checkInteger(options.requestSize, 'requestSize', undefined, undefined, 1, MAX_PAYLOAD_LIMIT);
    loop = resolveLoopOptions(options);
    collection = loopCollection(loop);
  } catch (error) {
    return Promise.reject(error);
  }
  const { requestSize, handle } = options;
  const { exitOnEnd, reuseRequestBuffers } = loop;
  guardStdout();
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      if (error === undefined || error instanceof HostGoneError) {
        if (exitOnEnd) process.exit(0);
        resolve();
        return;
      }
      process.stderr.write(
        `umd raw handler: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      if (exitOnEnd) process.exit(1);
      reject(error);
    };
    const reply = (result: unknown) => {
      if (!(result instanceof Uint8Array))
        throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'handle() must return a Uint8Array');
      writeAllSync(STDOUT_FD, [result]);
    };
    let request = allocatePayload(requestSize);
    let filled = 0;
    /** Answers the full request; resolves (or returns) when the reply is written. */
    const answer = (): void | Promise<void> => {
      const current = request;
      // Reused: the next read into it waits until this reply is written (both paths below).
      if (!reuseRequestBuffers) request = allocatePayload(requestSize);
      filled = 0;
      const result = handle(current);
      if (isThenable(result))
        return Promise.resolve(result).then((value) => {
          reply(value);
          collection.answered(current);
        });
      reply(result);
      collection.answered(current);
    };
    const endOfInput = () => {
      if (filled > 0)
        finish(
          new UmdError(
            UmdErrorCode.SHORT_READ,
            `input ended after ${filled} of ${requestSize} request bytes`,
          ),
        );
      else finish(undefined);
    };
    // Blocking reads straight into the request buffer, like a C handler; no event loop turn per request.
    const loop = (): void => {
      try {
        while (!finished) {
          if (filled === 0) collection.idle();
          const count = readOnceSync(STDIN_FD, request.subarray(filled));
          if (count === 'again') return readFromStream();
          if (count === 0) return endOfInput();
          filled += count;
          if (filled < requestSize) continue;
          const pending = answer();
          if (pending) return void pending.then(loop, finish);
        }
      } catch (error) {
        finish(error);
      }
    };
    // Fallback when fd 0 is non-blocking (something touched process.stdin): the event loop reads.
    const readFromStream = (): void => {
      const stdin = process.stdin;
      stdin.on('data', (chunk: Buffer) => {
        let offset = 0;
        try {
          while (offset < chunk.byteLength && !finished) {
            const take = Math.min(requestSize - filled, chunk.byteLength - offset);
            request.set(chunk.subarray(offset, offset + take), filled);
            filled += take;
            offset += take;
            if (filled < requestSize) break;
            const pending = answer();
            if (pending) {
              // Keep requests in order: hold input until this reply is written.
              stdin.pause();
              const rest = chunk.subarray(offset);
              void pending.then(() => {
                if (rest.byteLength > 0) stdin.unshift(rest);
                stdin.resume();
              }, finish);
              return;
            }
          }
        } catch (error) {
          finish(error);
        }
      });
      stdin.once('end', endOfInput);
      stdin.once('error', finish);
    };
    loop();
  });
}
