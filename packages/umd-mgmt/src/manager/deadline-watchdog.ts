/** A request watched for its deadline (a node of the watchdog's list), with what it stands for. */
export interface WatchedRequest<T = undefined> {
  /** `performance.now()` value after which the request is overdue. */
  readonly deadline: number;
  /** What the caller of `watch` attached (the pool's queue: the waiting request). */
  readonly item: T;
  /** Set when the watchdog found it overdue. */
  timedOut: boolean;
  prev: WatchedRequest<T> | undefined;
  next: WatchedRequest<T> | undefined;
}

/**
 * One timer for all requests that share the manager's default timeout, instead of a timer per
 * request (arming and clearing a timer costs more than the rest of the manager's request path).
 * Requests are appended in deadline order (same timeout, increasing start times) to a doubly
 * linked list; the timer only ever waits for the oldest one, and is re-armed when it fires.
 */
export class DeadlineWatchdog<T = undefined> {
  readonly #onOverdue: (request: WatchedRequest<T>) => void;
  #head: WatchedRequest<T> | undefined;
  #tail: WatchedRequest<T> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #armedFor = Infinity;

  constructor(onOverdue: (request: WatchedRequest<T>) => void) {
    this.#onOverdue = onOverdue;
  }

  /** Starts watching a request. O(1) when deadlines come in order, as they nearly always do. */
  watch(deadline: number, item: T = undefined as T): WatchedRequest<T> {
    let after = this.#tail;
    while (after !== undefined && after.deadline > deadline) after = after.prev;
    const request: WatchedRequest<T> = {
      deadline,
      item,
      timedOut: false,
      prev: after,
      next: after ? after.next : this.#head,
    };
    if (request.next) request.next.prev = request;
    else this.#tail = request;
    if (after) after.next = request;
    else this.#head = request;
    if (this.#timer === undefined) this.#arm(deadline);
    else if (this.#head === request && deadline < this.#armedFor) {
      clearTimeout(this.#timer);
      this.#arm(deadline);
    }
    return request;
  }

  /** Stops watching (the request settled). O(1). */
  unwatch(request: WatchedRequest<T>): void {
    if (request.prev) request.prev.next = request.next;
    else if (this.#head === request) this.#head = request.next;
    else return; // not in the list (already reported overdue)
    if (request.next) request.next.prev = request.prev;
    else this.#tail = request.prev;
    request.prev = request.next = undefined;
  }

  /** Drops every watched request and the timer. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Infinity;
    this.#head = this.#tail = undefined;
  }

  #arm(deadline: number): void {
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, Math.ceil(deadline - performance.now())));
    // Pending requests keep the host alive through their handler; the watchdog never does.
    this.#timer.unref();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head !== undefined && this.#head.deadline <= now) {
      const overdue = this.#head;
      this.unwatch(overdue);
      overdue.timedOut = true;
      this.#onOverdue(overdue);
    }
    this.#armedFor = Infinity;
    if (this.#head !== undefined) this.#arm(this.#head.deadline);
  };
}
