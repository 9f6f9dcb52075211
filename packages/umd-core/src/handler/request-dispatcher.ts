import { FrameType, frameTypeName } from '../codec/constants.js';
import { encodeErrorPayload } from '../codec/error-payload.js';
import type { Frame } from '../codec/frame.js';
import { NOT_STARTED_CODE, NOT_STARTED_MESSAGE } from '../codec/not-started.js';
import { protocolError } from '../codec/protocol-error.js';
import { EIO, isHandlerError } from './handler-error.js';
import type { HandlerContext, RequestHandler } from './request-handler.js';
import { isThenable } from '../shared/maybe-async.js';

/** Sends one frame to the host. */
export type SendFrame = (type: FrameType, id: number, payload: Uint8Array) => void;

interface Running {
  controller: AbortController | undefined;
  cancelled: boolean;
}

/** Lazily created signal: most handlers never look at it, and an AbortController per request costs. */
class RequestContext implements HandlerContext {
  readonly id: number;
  readonly #running: Running;
  constructor(id: number, running: Running) {
    this.id = id;
    this.#running = running;
  }
  get signal(): AbortSignal {
    const running = this.#running;
    if (running.controller === undefined) {
      running.controller = new AbortController();
      if (running.cancelled)
        running.controller.abort(new Error(`request ${this.id} was cancelled by the host`));
    }
    return running.controller.signal;
  }
}

/**
 * The transport-free core of the handler runtime: takes the host's frames, runs the handler
 * (up to `concurrency` requests at once, the rest in arrival order), and answers each REQUEST with
 * exactly one REPLY or ERROR through `send`. A handler that returns synchronously is answered
 * before `handleFrame` returns, which lets a blocking reader stay on its fast path.
 */
export class RequestDispatcher {
  readonly #handler: RequestHandler;
  readonly #send: SendFrame;
  readonly #concurrency: number;
  /** Ids the host may still cancel: running ones, and queued ones (with `undefined`). */
  readonly #active = new Map<number, Running | undefined>();
  #waiting: Frame[] = [];
  #running = 0;
  #idleWaiters: Array<() => void> = [];
  /** Called when the last pending request settled asynchronously. */
  onIdle: (() => void) | undefined;
  /** Called with a request's payload once its answer was sent (or it was dropped): its memory may be reused. */
  readonly #done: ((payload: Uint8Array) => void) | undefined;

  constructor(
    handler: RequestHandler,
    send: SendFrame,
    concurrency = 1,
    done?: (payload: Uint8Array) => void,
  ) {
    this.#handler = handler;
    this.#send = send;
    this.#concurrency = concurrency;
    this.#done = done;
  }

  /** No request is running or waiting. */
  get idle(): boolean {
    return this.#running === 0 && this.#waiting.length === 0;
  }

  /** Resolves when {@link RequestDispatcher.idle} (at once if it is). */
  whenIdle(): Promise<void> {
    if (this.idle) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Handles one frame from the host.
   * @throws UmdError `UMD_PROTOCOL` for a frame a host may not send, or a duplicate request id.
   */
  handleFrame(frame: Frame): void {
    const { type, id } = frame;
    if (type === FrameType.Request) {
      if (this.#active.has(id))
        throw protocolError(`REQUEST id ${id} is already in flight`, { requestId: id });
      if (this.#running < this.#concurrency && this.#waiting.length === 0) {
        this.#start(frame);
      } else {
        this.#active.set(id, undefined);
        this.#waiting.push(frame);
      }
      return;
    }
    if (type === FrameType.Cancel) {
      if (!this.#active.has(id)) return; // already answered: the host drops the answer anyway
      const running = this.#active.get(id);
      if (running === undefined) {
        // Not started yet: answer at once so the host can forget the id.
        const dropped = this.#waiting.find((waiting) => waiting.id === id);
        this.#waiting = this.#waiting.filter((waiting) => waiting.id !== id);
        this.#active.delete(id);
        this.#send(FrameType.Error, id, encodeErrorPayload(NOT_STARTED_CODE, NOT_STARTED_MESSAGE));
        if (dropped) this.#done?.(dropped.payload);
      } else if (!running.cancelled) {
        running.cancelled = true;
        running.controller?.abort(new Error(`request ${id} was cancelled by the host`));
      }
      return;
    }
    throw protocolError(`unexpected ${frameTypeName(type)} frame (id ${id}) from the host`);
  }

  #start(frame: Frame): void {
    const { id, payload } = frame;
    const running: Running = { controller: undefined, cancelled: false };
    let result: unknown;
    try {
      result = this.#handler(payload, new RequestContext(id, running));
    } catch (error) {
      this.#answerError(id, error);
      this.#done?.(payload);
      return;
    }
    if (!isThenable(result)) {
      this.#answer(id, result);
      this.#done?.(payload);
      return;
    }
    this.#running++;
    this.#active.set(id, running);
    Promise.resolve(result).then(
      (reply) => this.#finishAsync(id, payload, () => this.#answer(id, reply)),
      (error: unknown) => this.#finishAsync(id, payload, () => this.#answerError(id, error)),
    );
  }

  #finishAsync(id: number, payload: Uint8Array, answer: () => void): void {
    this.#active.delete(id);
    this.#running--;
    answer();
    this.#done?.(payload);
    this.#startWaiting();
    this.#settled();
  }

  #startWaiting(): void {
    while (this.#running < this.#concurrency && this.#waiting.length > 0) {
      const frame = this.#waiting.shift()!;
      this.#active.delete(frame.id);
      this.#start(frame);
    }
  }

  #settled(): void {
    if (!this.idle) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.onIdle?.();
  }

  #answer(id: number, reply: unknown): void {
    if (!(reply instanceof Uint8Array)) {
      const what = reply === null ? 'null' : typeof reply;
      this.#send(
        FrameType.Error,
        id,
        encodeErrorPayload(EIO, `the handler returned ${what}, not a Uint8Array`),
      );
      return;
    }
    try {
      this.#send(FrameType.Reply, id, reply);
    } catch (error) {
      // A reply the wire format cannot carry (over 4 GiB): tell the host instead of dying.
      if (error instanceof Error && (error as { code?: string }).code === 'UMD_TOO_LARGE')
        this.#answerError(id, error);
      else throw error;
    }
  }

  #answerError(id: number, error: unknown): void {
    const errno = isHandlerError(error) ? error.errno : EIO;
    const message = error instanceof Error ? error.message : String(error);
    this.#send(FrameType.Error, id, encodeErrorPayload(errno, message));
  }
}
