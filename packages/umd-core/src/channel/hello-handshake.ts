import { type Hello, decodeHello } from '../codec/hello.js';
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
   * Takes the first frame's payload as the HELLO and resolves every waiter with it.
   * @throws UmdError `UMD_PROTOCOL` if the payload is not a valid HELLO.
   */
  receive(payload: Uint8Array): Hello {
    const hello = decodeHello(payload);
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
