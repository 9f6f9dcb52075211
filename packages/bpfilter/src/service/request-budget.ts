/**
 * The bytes of requests a service holds for all its clients at once: every REQUEST frame
 * from the moment its header announces a payload (the decoder allocates it then) until
 * its answer is done or its client is gone. Each client is bounded on its own (one frame
 * of SERVICE_MAX_PAYLOAD in progress, a few queued), but not their number: without this,
 * clients that each announce 64 MiB and stall made the service grow by 64 MiB apiece.
 */
import { UmdError, UmdErrorCode } from '@umd/core';

/** A frame up to this size is small: the size of every get request and most sets. */
export const SMALL_REQUEST_BYTES = 64 * 1024;

/** Left to small frames: large ones held by stalled clients cannot starve `iptables -L`. */
export const SMALL_REQUEST_RESERVE = 16 * 1024 * 1024;

export class RequestBudget {
  readonly limit: number;
  #held = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes taken and not yet given back. */
  get held(): number {
    return this.#held;
  }

  /**
   * Takes room for a frame of `bytes`.
   * @throws UmdError `UMD_QUEUE_FULL` (nothing taken) when it does not fit.
   */
  take(bytes: number): void {
    const room =
      this.limit - this.#held - (bytes > SMALL_REQUEST_BYTES ? SMALL_REQUEST_RESERVE : 0);
    if (bytes > room)
      throw new UmdError(
        UmdErrorCode.QUEUE_FULL,
        `a request of ${bytes} bytes does not fit: the service already holds ${this.#held} bytes of its clients' requests (limit ${this.limit})`,
      );
    this.#held += bytes;
  }

  /** Gives back what {@link RequestBudget.take} took. */
  give(bytes: number): void {
    this.#held -= bytes;
  }
}
