import { FRAME_HEADER_SIZE } from '../codec/constants.js';
import type { FrameDecoder } from '../codec/frame-decoder.js';
import type { Frame } from '../codec/frame.js';
import { STDIN_FD, readOnceAsync, readOnceSync, type ReadResult } from './fd-io.js';
import type { RequestDispatcher } from './request-dispatcher.js';
import { DIRECT_READ_MIN } from '../shared/direct-read.js';

/** How the handler reads fd 0. */
export type ReadMode = 'blocking' | 'stream';

/** Read buffer for everything but large payloads. */
export const READ_BUFFER_SIZE = 256 * 1024;
/**
 * After a request of at least this size the next header is read alone, so that its payload can
 * be read in place. Smaller requests come through the read buffer and a copy: one read then
 * brings a whole frame and often the ones a pipelining host queued behind it, whose replies go
 * out in two writes (reads and wake-ups of the host saved per request, for a copy that costs
 * less than a read at these sizes).
 */
const HEADER_FIRST_MIN = READ_BUFFER_SIZE / 2;

interface ReaderEvents {
  /** fd 0 reached end of file and every request was answered. */
  end(bufferedBytes: number): void;
  /** The host broke the protocol, or reading failed. */
  fail(error: unknown): void;
  /** Replies sent until `flush` may be collected into one write. */
  hold(): void;
  /** Writes the replies collected since `hold`. */
  flush(): void;
  /** Every request read so far is answered and the next is not begun: the handler would wait. */
  idle(): void;
}

/**
 * Feeds fd 0 into the decoder and the dispatcher.
 *
 * `blocking` (default): while no request is pending, fd 0 is read with blocking `readSync`, the
 * way a C handler reads: no event loop turn, no thread hop, so a synchronous handler answers at
 * close to the speed of the pipe. While async work is pending, reads go to the libuv thread pool so
 * the event loop keeps running (timers, I/O, CANCEL frames reaching `context.signal`). If fd 0
 * turns out non-blocking (something touched `process.stdin`), it falls back to `stream`, which
 * reads through `process.stdin` on the event loop.
 */
export class StdinFrameReader {
  readonly #decoder: FrameDecoder;
  readonly #dispatcher: RequestDispatcher;
  readonly #events: ReaderEvents;
  #mode: ReadMode;
  readonly #buffer = new Uint8Array(READ_BUFFER_SIZE);
  #asyncPending = false;
  /** The last request was large: read the next header alone so its payload can be read in place. */
  #headerFirst = false;
  #scheduled = false;
  #done = false;

  constructor(
    decoder: FrameDecoder,
    dispatcher: RequestDispatcher,
    events: ReaderEvents,
    mode: ReadMode = 'blocking',
  ) {
    this.#decoder = decoder;
    this.#dispatcher = dispatcher;
    this.#events = events;
    this.#mode = mode;
  }

  /** Starts reading. */
  start(): void {
    this.#dispatcher.onIdle = () => queueMicrotask(this.#wake);
    this.#run();
  }

  /** True while a read of fd 0 is blocked on the libuv thread pool. */
  get readingOnThreadPool(): boolean {
    return this.#asyncPending;
  }

  /** Stops reading for good (after a failure). */
  stop(): void {
    this.#done = true;
  }

  readonly #wake = (): void => {
    if (!this.#asyncPending && !this.#scheduled && !this.#done && this.#mode === 'blocking')
      this.#run();
  };

  #target(): { into: Uint8Array; direct: boolean } {
    const target = this.#decoder.payloadTarget();
    if (target !== undefined && target.byteLength >= DIRECT_READ_MIN)
      return { into: target, direct: true };
    // One read usually brings a whole frame (or many). After a large one, expect another:
    // reading its 16-byte header alone costs a syscall but saves copying the payload.
    if (this.#headerFirst && this.#decoder.bufferedBytes === 0)
      return { into: this.#buffer.subarray(0, FRAME_HEADER_SIZE), direct: false };
    return { into: this.#buffer, direct: false };
  }

  #run(): void {
    if (this.#done) return;
    if (this.#mode === 'stream') return this.#startStream();
    while (this.#dispatcher.idle) {
      if (this.#decoder.bufferedBytes === 0) this.#events.idle();
      const { into, direct } = this.#target();
      const result = readOnceSync(STDIN_FD, into);
      if (!this.#handleResult(result, direct)) return;
    }
    // Async work is pending: give promise chains that settle without I/O one loop turn before
    // paying for a thread-pool read.
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#done || this.#asyncPending) return;
      if (this.#dispatcher.idle) this.#run();
      else this.#readAsync();
    });
  }

  #readAsync(): void {
    const { into, direct } = this.#target();
    this.#asyncPending = true;
    readOnceAsync(STDIN_FD, into, (error, result) => {
      this.#asyncPending = false;
      if (this.#done) return;
      if (error) return this.#fail(error);
      if (!this.#handleResult(result, direct)) return;
      if (this.#dispatcher.idle) this.#run();
      else this.#readAsync();
    });
  }

  /** Consumes one read; false when reading must not go on this way (EOF, failure, mode change). */
  #handleResult(result: ReadResult, direct: boolean): boolean {
    if (result === 'again') {
      this.#mode = 'stream';
      this.#startStream();
      return false;
    }
    if (result === 0) {
      this.#end();
      return false;
    }
    try {
      if (direct) {
        const frame = this.#decoder.commitPayload(result);
        if (frame !== undefined) {
          this.#headerFirst = frame.payload.byteLength >= HEADER_FIRST_MIN;
          this.#dispatcher.handleFrame(frame);
        }
      } else {
        const frames = this.#decoder.push(this.#buffer.subarray(0, result));
        if (frames.length > 0)
          this.#headerFirst = frames[frames.length - 1]!.payload.byteLength >= HEADER_FIRST_MIN;
        this.#deliver(frames);
      }
    } catch (error) {
      this.#fail(error);
      return false;
    }
    return !this.#done;
  }

  /**
   * Hands one read's frames to the dispatcher. The first request's reply leaves at once, the
   * others' together after the last: the host then takes in the first reply and sends what
   * follows it while this handler answers the rest, instead of each side waiting out the other's
   * whole batch (a pipelining host and its handler then keep both cores busy).
   */
  #deliver(frames: Frame[]): void {
    if (frames.length === 0) return;
    this.#dispatcher.handleFrame(frames[0]!);
    if (frames.length === 1 || this.#done) return;
    this.#events.hold();
    try {
      for (let at = 1; at < frames.length; at++) {
        if (this.#done) return;
        this.#dispatcher.handleFrame(frames[at]!);
      }
    } finally {
      this.#events.flush();
    }
  }

  #startStream(): void {
    const stdin = process.stdin;
    stdin.on('data', (chunk: Buffer) => {
      if (this.#done) return;
      try {
        this.#deliver(this.#decoder.push(chunk));
        if (this.#dispatcher.idle && this.#decoder.bufferedBytes === 0) this.#events.idle();
      } catch (error) {
        this.#fail(error);
      }
    });
    stdin.once('end', () => this.#end());
    stdin.once('error', (error) => this.#fail(error));
  }

  #end(): void {
    if (this.#done) return;
    this.#done = true;
    void this.#dispatcher.whenIdle().then(() => this.#events.end(this.#decoder.bufferedBytes));
  }

  #fail(error: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#events.fail(error);
  }
}
