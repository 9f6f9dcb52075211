import { DEFAULT_MAX_PAYLOAD, MAX_PAYLOAD_LIMIT } from '../codec/constants.js';
import { checkBoolean, checkInteger, invalidArgument } from '../shared/check-options.js';
import type { ReadMode } from './stdin-frame-reader.js';
import { COLLECT_AFTER_BYTES } from './young-collection.js';

/** Options of `serve()`. */
export interface ServeOptions {
  /** The handler's name, announced in HELLO. */
  name: string;
  /** Largest request payload accepted, announced in HELLO (default 64 MiB). A longer frame is a protocol error. */
  maxPayload?: number;
  /** Requests run at once (default 1: one after the other, in arrival order). */
  concurrency?: number;
  /**
   * How fd 0 is read (default `blocking`): blocking reads while idle, the fastest for synchronous
   * handlers, but timers and other callbacks of your own only run while a request is pending.
   * Choose `stream` if the handler must do background work between requests.
   */
  readMode?: ReadMode;
  /** Exit the process when done (default true): 0 on end of input, 2 on a protocol violation. If false, `serve()` resolves or rejects instead. */
  exitOnEnd?: boolean;
  /**
   * Reuse the memory of large request payloads (16 KiB and more) once their request is answered
   * (default false). Then a payload is valid only until the handler's reply or error is sent: copy
   * what you keep beyond that. Returning the payload itself as the reply is fine (it is written out
   * before the memory is reused). Saves the page faults of a fresh buffer per large request; the
   * process keeps the `concurrency + 1` largest free buffers, and smaller ones up to 256 KiB in
   * all (the requests one read may bring from a pipelining host).
   */
  reuseRequestBuffers?: boolean;
  /**
   * Without `reuseRequestBuffers`, each large request (64 KiB and more) is read into fresh memory,
   * which V8 frees only at its next young-generation collection. After this many bytes of such
   * requests have been answered (default 4 MiB), the handler runs that collection itself, between
   * requests, so that the next requests reuse memory still in the CPU's cache. 0: never, leave it
   * to V8. A collection frees nothing still in use; where the runtime offers none, nothing happens.
   */
  collectAfterBytes?: number;
}

/** The options `serve()` and `serveRaw()` share (how the loop ends, its request memory), checked and defaulted. */
export interface LoopOptions {
  exitOnEnd: boolean;
  reuseRequestBuffers: boolean;
  collectAfterBytes: number;
}

/** Checked, defaulted options. */
export interface ResolvedServeOptions extends LoopOptions {
  name: string;
  maxPayload: number;
  concurrency: number;
  readMode: ReadMode;
}

/**
 * Checks and defaults the options both handler loops take; `prefix` names them as the caller's
 * messages do (`options.` for `serve()`).
 */
export function resolveLoopOptions(
  options: Pick<ServeOptions, keyof LoopOptions>,
  prefix = '',
): LoopOptions {
  return {
    exitOnEnd: checkBoolean(options.exitOnEnd, `${prefix}exitOnEnd`, undefined, true),
    reuseRequestBuffers: checkBoolean(
      options.reuseRequestBuffers,
      `${prefix}reuseRequestBuffers`,
      undefined,
      false,
    ),
    collectAfterBytes: checkInteger(
      options.collectAfterBytes,
      `${prefix}collectAfterBytes`,
      undefined,
      COLLECT_AFTER_BYTES,
      0,
    ),
  };
}

const invalid = (message: string) => invalidArgument(undefined, message);

/** Validates `serve()` options up front, each with a typed error. */
export function resolveServeOptions(options: ServeOptions): ResolvedServeOptions {
  if (typeof options !== 'object' || options === null)
    throw invalid('serve() needs an options object with a name');
  const {
    name,
    maxPayload = DEFAULT_MAX_PAYLOAD,
    concurrency = 1,
    readMode = 'blocking',
  } = options;
  if (typeof name !== 'string' || name.length === 0)
    throw invalid('options.name must be a non-empty string');
  checkInteger(maxPayload, 'options.maxPayload', undefined, undefined, 0, MAX_PAYLOAD_LIMIT);
  checkInteger(concurrency, 'options.concurrency', undefined, undefined, 1);
  if (readMode !== 'blocking' && readMode !== 'stream')
    throw invalid(`options.readMode must be 'blocking' or 'stream', got ${String(readMode)}`);
  return { name, maxPayload, concurrency, readMode, ...resolveLoopOptions(options, 'options.') };
}
