import { FrameType, frameTypeName } from '../codec/constants.js';
import type { Frame } from '../codec/frame.js';
import { type Hello, decodeHello } from '../codec/hello.js';
import { protocolError } from '../codec/protocol-error.js';
import type { UmdError } from '../errors/umd-error.js';
import {
  type RequestOptions,
  abortedError,
  armRequest,
  checkRequestOptions,
  timeoutError,
} from './request-options.js';

interface HelloWaiter {
  readonly resolve: (hello: Hello) => void;
  readonly reject: (error: UmdError) => void;
  disarm: () => void;
}

/**
 * The HELLO half of a framed channel: holds the handler's HELLO once it came and the callers
 * waiting for it (each with its own signal and timeout). Reply dispatch is the channel's.
 */
export class HelloHandshake {
  #hello: Hello | undefined;
  #waiters: HelloWaiter[] = [];
  #failure: UmdError | undefined;

  /** The handler's HELLO, once received. */
  get hello(): Hello | undefined {
    return this.#hello;
  }

  /**
   * Resolves with the HELLO (at once if already received); rejects with the failure once the
   * channel failed, and with `UMD_TIMEOUT` / `UMD_ABORTED` per `options`.
   */
  wait(options: RequestOptions): Promise<Hello> {
    try {
      checkRequestOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#hello) return Promise.resolve(this.#hello);
    if (this.#failure) return Promise.reject(this.#failure);
    if (options.signal?.aborted)
      return Promise.reject(abortedError(options.signal, 'waiting for HELLO'));
    return new Promise<Hello>((resolve, reject) => {
      const waiter: HelloWaiter = { resolve, reject, disarm: () => {} };
      const drop = () => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
      };
      waiter.disarm = armRequest(
        options,
        (signal) => {
          drop();
          reject(abortedError(signal, 'waiting for HELLO'));
        },
        (timeoutMs) => {
          drop();
          reject(timeoutError(timeoutMs, 'waiting for HELLO'));
        },
      );
      this.#waiters.push(waiter);
    });
  }

  /**
   * Takes the handler's first frame as its HELLO and resolves every waiter with it.
   * @throws UmdError `UMD_PROTOCOL` if the frame is not a valid HELLO.
   */
  receive(frame: Frame): Hello {
    if (frame.type !== FrameType.Hello) {
      throw protocolError(
        `expected HELLO as the first frame, got ${frameTypeName(frame.type)} (id ${frame.id})`,
      );
    }
    const hello = decodeHello(frame.payload);
    this.#hello = hello;
    for (const waiter of this.#takeWaiters()) {
      waiter.disarm();
      waiter.resolve(hello);
    }
    return hello;
  }

  /** Rejects every waiter, now and later, with `failure` (the channel closed). */
  fail(failure: UmdError): void {
    this.#failure = failure;
    for (const waiter of this.#takeWaiters()) {
      waiter.disarm();
      waiter.reject(failure);
    }
  }

  #takeWaiters(): HelloWaiter[] {
    const waiters = this.#waiters;
    this.#waiters = [];
    return waiters;
  }
}
