/**
 * The bytes a service holds for all its clients at once: each request frame from the moment
 * its header announces a payload (the decoder allocates it then) until it is answered, and
 * each reply frame until the client's socket has taken it. Each client is bounded on its
 * own (one frame in progress, a few queued, one reply unread), but not their number: without
 * this, clients that each announced 64 MiB and stalled, or asked for a whole table and did
 * not read it, grew the service by that much apiece.
 */
import { UmdError, UmdErrorCode } from '@umd/core';

/** A frame up to this size is small: every get request, most sets, all but table replies. */
export const SMALL_FRAME_BYTES = 64 * 1024;

/** Left to small frames: large ones held by stalled clients cannot starve `iptables -L`. */
export const SMALL_FRAME_RESERVE = 16 * 1024 * 1024;

export class ClientBudget {
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
    const room = this.limit - this.#held - (bytes > SMALL_FRAME_BYTES ? SMALL_FRAME_RESERVE : 0);
    if (bytes > room)
      throw new UmdError(
        UmdErrorCode.QUEUE_FULL,
        `a frame of ${bytes} bytes does not fit: the service already holds ${this.#held} bytes for its clients (limit ${this.limit})`,
      );
    this.#held += bytes;
  }

  /** Gives back what {@link ClientBudget.take} took. */
  give(bytes: number): void {
    this.#held -= bytes;
  }
}
