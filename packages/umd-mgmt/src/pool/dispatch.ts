import { type UmdManager, cancelledUnanswered } from '../manager/umd-manager.js';
import { NO_TIMEOUT } from '../manager/validate-options.js';

/** One handler process slot of a pool: its own manager (lifecycle, budget, containment). */
export interface PoolInstance {
  readonly index: number;
  readonly manager: UmdManager;
  /** `performance.now()` before which the instance is skipped (it just failed to start). */
  downUntil: number;
  /**
   * `performance.now()` at which each request it holds (handed to it, not yet settled) was
   * handed to it, oldest first: its length is the instance's load.
   */
  readonly handedAt: number[];
  /** Moving average of hand-over to reply, in ms; `undefined` until its first reply. */
  typicalMs: number | undefined;
  /**
   * Moving average of the time the instance takes per reply while it works (from its previous
   * reply, or from the hand-over if it was idle), in ms; `undefined` until its first reply.
   */
  serviceMs: number | undefined;
  /** `performance.now()` of its last reply (0: none yet). */
  lastReplyAt: number;
  /** The watch on what waits behind its oldest request (see `watchBehind`). */
  readonly behind: { timer: NodeJS.Timeout | undefined; reclaimedFor: number | undefined };
}

/** Instance `index` of a pool, before its first request. */
export function newInstance(index: number, manager: UmdManager): PoolInstance {
  return {
    index,
    manager,
    downUntil: 0,
    handedAt: [],
    typicalMs: undefined,
    serviceMs: undefined,
    lastReplyAt: 0,
    behind: { timer: undefined, reclaimedFor: undefined },
  };
}

/** The pool's `lookahead`: a fixed number of requests, or `'auto'` (see {@link lookaheadOf}). */
export type Lookahead = number | 'auto';

/** `lookahead: 'auto'`: at least this many requests wait in a handler's input... */
export const AUTO_LOOKAHEAD_MIN = 2;
/** ...at most this many... */
export const AUTO_LOOKAHEAD_MAX = 16;
/** ...and as many as the instance answers in this time at its recent pace. */
export const AUTO_LOOKAHEAD_MS = 2;

/**
 * How many requests `instance` may hold beyond `maxInFlight`. `'auto'` keeps about
 * {@link AUTO_LOOKAHEAD_MS} of work waiting in the handler's input, by its time per reply: enough
 * that a host that waits for a CPU (or the handler's next read) never leaves the handler idle, where
 * short requests would otherwise drain a fixed lookahead long before the host's next turn.
 */
export function lookaheadOf(instance: PoolInstance, lookahead: Lookahead): number {
  if (lookahead !== 'auto') return lookahead;
  const service = instance.serviceMs;
  if (service === undefined) return AUTO_LOOKAHEAD_MIN;
  const fits = Math.floor(AUTO_LOOKAHEAD_MS / Math.max(service, 1e-3));
  return Math.min(AUTO_LOOKAHEAD_MAX, Math.max(AUTO_LOOKAHEAD_MIN, fits));
}

/**
 * Whether `instance` may take a request beyond `maxInFlight` (the pool's `lookahead`): only a
 * running handler that has answered before and whose oldest request is younger than twice its
 * typical time. A request queued behind a hung one waits for the hang's timeout and fails with
 * it, so once the oldest request is overdue by that measure, nothing more joins it.
 */
export function mayLookAhead(instance: PoolInstance, now: number): boolean {
  const typical = instance.typicalMs;
  if (typical === undefined || instance.manager.state !== 'running') return false;
  const oldest = instance.handedAt[0];
  return oldest === undefined || now - oldest < 2 * typical;
}

/** Records that `instance` answered a request handed to it at `handedAt` (a reply or a failure). */
export function settled(instance: PoolInstance, handedAt: number, now: number, ok: boolean): void {
  const at = instance.handedAt.indexOf(handedAt);
  if (at >= 0) instance.handedAt.splice(at, 1);
  if (!ok) return;
  instance.typicalMs = average(instance.typicalMs, now - handedAt);
  instance.serviceMs = average(instance.serviceMs, now - Math.max(handedAt, instance.lastReplyAt));
  instance.lastReplyAt = now;
}

function average(mean: number | undefined, sample: number): number {
  return mean === undefined ? sample : mean + (sample - mean) / 8;
}

/**
 * The lookahead a request may use. Raw requests never use it, nor do requests with a timeout
 * of their own (`ownTimeoutMs`): one passing while the request waits in a handler's input would
 * kill that handler (a timeout is the handler's fault) and fail the request it was running. The
 * default timeout cannot pass first there: it counts from the call, and the pool hands requests
 * out in call order.
 */
export function requestLookahead(
  lookahead: Lookahead,
  replyLength: number,
  ownTimeoutMs: number | undefined,
): Lookahead {
  const mayWait = replyLength < 0 && (ownTimeoutMs === undefined || ownTimeoutMs === NO_TIMEOUT);
  return mayWait ? lookahead : 0;
}

/**
 * The least-loaded instance with a free slot (`load < capacity`, or `load < capacity +
 * lookahead` (its {@link lookaheadOf}) where {@link mayLookAhead} allows), or `undefined` when
 * every instance is full.
 * Requests an instance was asked to cancel and has not answered add to its load in that choice.
 * Among equally loaded ones a running handler wins over one that would have to start (so a
 * light load keeps using the handlers already up, and the pool grows lazily), then the lowest
 * index. Instances that recently failed to start are skipped, unless all are.
 */
export function pickInstance(
  instances: readonly PoolInstance[],
  capacity: number,
  now: number,
  lookahead: Lookahead = 0,
): PoolInstance | undefined {
  let best: PoolInstance | undefined;
  let bestScore = Infinity;
  let anyUp = false;
  for (const instance of instances) {
    if (instance.downUntil > now) continue;
    anyUp = true;
    const load = instance.handedAt.length;
    if (load >= capacity) {
      const beyond = lookaheadOf(instance, lookahead);
      if (load >= capacity + beyond || !mayLookAhead(instance, now)) continue;
    }
    // Twice the load, plus one for a handler that is not running yet: load first, then readiness.
    // Requests it was asked to cancel and has not answered count as load here (an instance whose
    // handler ignores cancels, its event loop blocked, is not idle), but not against its slots:
    // nothing tells the pool when such a late answer comes, so a request must not wait for it.
    const busy = load + instance.manager[cancelledUnanswered]();
    const score = busy * 2 + (instance.manager.state === 'running' ? 0 : 1);
    if (score < bestScore) {
      best = instance;
      bestScore = score;
      if (score === 0) break;
    }
  }
  if (best !== undefined || anyUp) return best;
  // Every instance is marked down: try them anyway (the caller then gets their real error).
  for (const instance of instances) {
    const load = instance.handedAt.length;
    if (load < capacity && (best === undefined || load < best.handedAt.length)) best = instance;
  }
  return best;
}
