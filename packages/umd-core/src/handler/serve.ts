import { FrameType, PROTOCOL_VERSION } from '../codec/constants.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { encodeHello } from '../codec/hello.js';
import { UmdError, UmdErrorCode, isUmdError } from '../errors/umd-error.js';
import { guardExit } from './exit-guard.js';
import { HostGoneError, checkProtocolMode } from './fd-io.js';
import { FdFrameSender } from './frame-sender.js';
import { RequestDispatcher } from './request-dispatcher.js';
import type { RequestHandler } from './request-handler.js';
import { type ServeOptions, resolveServeOptions } from './serve-options.js';
import { READ_BUFFER_SIZE, StdinFrameReader } from './stdin-frame-reader.js';
import { guardStdout } from './stdout-guard.js';
import { allocatePayload } from '../shared/payload-buffer.js';
import { PayloadPool } from './payload-pool.js';
import { loopCollection } from './young-collection.js';

/** Exit status of a handler that saw the host break the protocol. */
export const PROTOCOL_EXIT_CODE = 2;

/**
 * Runs a framed-mode handler in this process: sends HELLO on fd 1, answers every REQUEST read
 * from fd 0 with the handler's reply (or an ERROR frame: a thrown `HandlerError` carries its
 * errno, anything else -5 EIO), aborts `context.signal` on CANCEL, and at end of input finishes
 * the requests in flight and exits 0. From the call on, `console.log` and `process.stdout` write
 * to stderr, so stray prints cannot corrupt the stream.
 *
 * A protocol violation by the host is logged to stderr and exits with status 2. With
 * `exitOnEnd: false` the returned promise resolves (end of input) or rejects (violation) instead.
 */
export function serve(handler: RequestHandler, options: ServeOptions): Promise<void> {
  try {
    if (typeof handler !== 'function')
      throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'serve() needs a handler function');
    checkProtocolMode('framed', 'serve');
  } catch (error) {
    return Promise.reject(error);
  }
  let resolved: ReturnType<typeof resolveServeOptions>;
  try {
    resolved = resolveServeOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  const { name, maxPayload, concurrency, readMode, exitOnEnd, reuseRequestBuffers } = resolved;
  guardStdout();
  return new Promise<void>((resolve, reject) => {
    let finished = false;
    let reader: StdinFrameReader | undefined;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      reader?.stop();
      if (error === undefined || error instanceof HostGoneError) {
        if (error) process.stderr.write(`umd handler "${name}": ${error.message}; exiting\n`);
        if (exitOnEnd) process.exit(0);
        resolve();
        return;
      }
      const protocol = isUmdError(error, UmdErrorCode.PROTOCOL);
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        `umd handler "${name}": ${protocol ? 'protocol error' : 'fatal error'}: ${message}\n`,
      );
      if (exitOnEnd) process.exit(protocol ? PROTOCOL_EXIT_CODE : 1);
      reject(error);
    };
    const output = new FdFrameSender();
    const send = (type: FrameType, id: number, payload: Uint8Array) => {
      if (finished) return;
      try {
        output.send(type, id, payload);
      } catch (error) {
        if (error instanceof UmdError) throw error; // e.g. a reply too large to encode: the dispatcher answers ERROR
        finish(error);
      }
    };
    send(FrameType.Hello, 0, encodeHello({ version: PROTOCOL_VERSION, maxPayload, name }));
    // Beyond the buffers of the requests in flight, those of the requests one read may bring.
    const pool = reuseRequestBuffers
      ? new PayloadPool(concurrency + 1, READ_BUFFER_SIZE)
      : undefined;
    // Without a pool, fresh request buffers: collected early, their memory comes back warm.
    const collection = loopCollection(resolved);
    const dispatcher = new RequestDispatcher(
      handler,
      send,
      concurrency,
      pool ? (payload) => pool.release(payload) : (payload) => collection.answered(payload),
    );
    const decoder = new FrameDecoder({
      maxPayload,
      allocate: pool ? (length) => pool.acquire(length) : allocatePayload,
    });
    reader = new StdinFrameReader(
      decoder,
      dispatcher,
      {
        end: (bufferedBytes) => {
          if (bufferedBytes > 0)
            process.stderr.write(
              `umd handler "${name}": input ended inside a frame (${bufferedBytes} bytes dropped)\n`,
            );
          finish(undefined);
        },
        fail: finish,
        hold: () => output.hold(),
        flush: () => {
          try {
            output.flush();
          } catch (error) {
            finish(error);
          }
        },
        idle: () => collection.idle(),
      },
      readMode,
    );
    const started = reader;
    guardExit(name, () => started.readingOnThreadPool);
    if (!finished) reader.start();
  });
}
