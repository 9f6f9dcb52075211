import type { UmdError } from '../errors/umd-error.js';
import type { WriteTicket } from './ordered-writer.js';

/** Cancelled ids remembered so a late answer is dropped, not taken for a protocol violation. */
const MAX_REMEMBERED_CANCELS = 65_536;

/** One `request()` call of a framed channel, from the call until it settles. */
export interface PendingRequest {
  readonly payload: Uint8Array;
  /** The caller's buffer for the reply, if it gave one. */
  readonly replyInto: Uint8Array | undefined;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: UmdError) => void;
  disarm: () => void;
  /** Its frame in the writer, while it may still be withdrawn unsent. */
  ticket: WriteTicket | undefined;
  id: number;
  state: 'queued' | 'sent' | 'done';
  /** Sent, then cancelled to be taken back: an answer "cancelled before it started" means it never ran. */
  reclaiming: boolean;
}

/** A new request, queued, not yet armed with its signal or timeout. */
export function pendingRequest(
  payload: Uint8Array,
  replyInto: Uint8Array | undefined,
  resolve: (reply: Uint8Array) => void,
  reject: (error: UmdError) => void,
): PendingRequest {
  return {
    payload,
    replyInto,
    resolve,
    reject,
    disarm: () => {},
    ticket: undefined,
    id: 0,
    state: 'queued',
    reclaiming: false,
  };
}

/** What an answer's id names: a request in flight, a cancelled one (drop the answer), or nothing. */
export type AnswerTarget = PendingRequest | 'cancelled' | undefined;

/**
 * The framed channel's books: requests waiting in call order for a free in-flight slot, requests
 * in flight by id, the ids of cancelled ones (whose late answers are dropped), and the next id.
 * Holds no I/O and settles nothing: the channel decides what to send and whom to answer.
 */
export class RequestBook {
  readonly #pending = new Map<number, PendingRequest>();
  readonly #cancelled = new Set<number>();
  #queue: PendingRequest[] = [];
  #queueHead = 0;
  #nextId = 1;

  /** Requests sent and not yet answered (cancelled ones excluded). */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Requests cancelled in flight whose answers have not come yet (the last few thousand remembered). */
  get cancelledUnanswered(): number {
    return this.#cancelled.size;
  }

  /** Requests still waiting to be sent. */
  get queued(): number {
    let count = 0;
    for (let i = this.#queueHead; i < this.#queue.length; i++)
      if (this.#queue[i]!.state === 'queued') count++;
    return count;
  }

  /** Queues a new request behind the others. */
  enqueue(entry: PendingRequest): void {
    this.#queue.push(entry);
  }

  /**
   * The next queued request while fewer than `maxInFlight` are in flight (requests that gave up
   * while queued are skipped), or `undefined`. The caller sends it ({@link RequestBook.markSent})
   * or settles it.
   */
  nextToSend(maxInFlight: number): PendingRequest | undefined {
    const queue = this.#queue;
    while (this.#pending.size < maxInFlight && this.#queueHead < queue.length) {
      const entry = queue[this.#queueHead++]!;
      if (entry.state === 'queued') return entry;
    }
    this.#compact();
    return undefined;
  }

  /** Gives `entry` a fresh id (one neither in flight nor cancelled) and counts it as in flight. */
  markSent(entry: PendingRequest): number {
    let id: number;
    do {
      id = this.#nextId;
      this.#nextId = id >= 0xffff_ffff ? 1 : id + 1;
    } while (this.#pending.has(id) || this.#cancelled.has(id));
    entry.id = id;
    entry.state = 'sent';
    this.#pending.set(id, entry);
    return id;
  }

  /** The request in flight under `id`, without taking it. */
  inFlightWith(id: number): PendingRequest | undefined {
    return this.#pending.get(id);
  }

  /** Requests in flight after the first `keep` (in the order they were sent), not yet asked back. */
  sentAfter(keep: number): PendingRequest[] {
    const after: PendingRequest[] = [];
    let seen = 0;
    for (const entry of this.#pending.values())
      if (++seen > keep && !entry.reclaiming) after.push(entry);
    return after;
  }

  /** Takes the request an answer with `id` is for out of the books. */
  takeAnswered(id: number): AnswerTarget {
    const entry = this.#pending.get(id);
    if (entry !== undefined) {
      this.#pending.delete(id);
      return entry;
    }
    return this.#cancelled.delete(id) ? 'cancelled' : undefined;
  }

  /** Takes a request in flight out of the books; with `cancelled`, its late answer will be dropped. */
  withdraw(entry: PendingRequest, cancelled: boolean): void {
    this.#pending.delete(entry.id);
    if (!cancelled) return;
    this.#cancelled.add(entry.id);
    if (this.#cancelled.size > MAX_REMEMBERED_CANCELS) {
      const oldest = this.#cancelled.values().next().value;
      if (oldest !== undefined) this.#cancelled.delete(oldest);
    }
  }

  /** Empties the books; returns every request not yet settled, in flight first, then queued. */
  takeAll(): PendingRequest[] {
    const all = [...this.#pending.values()];
    for (let i = this.#queueHead; i < this.#queue.length; i++)
      if (this.#queue[i]!.state === 'queued') all.push(this.#queue[i]!);
    this.#pending.clear();
    this.#cancelled.clear();
    this.#queue = [];
    this.#queueHead = 0;
    return all;
  }

  /** Drops the sent part of the queue once it is all sent, or once it is most of a long queue. */
  #compact(): void {
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#queueHead);
      this.#queueHead = 0;
    }
  }
}
