import { availableParallelism } from 'node:os';
import { invalidArgument, readingOptions, showValue } from '@umd/core';
import {
  type ResolvedManagerOptions,
  resolveManagerOptions,
  type UmdManagerOptions,
} from '../manager/manager-options.js';
import { AUTO_LOOKAHEAD_MAX, type Lookahead } from './dispatch.js';

/** Options of `new UmdPool(options)`: those of a manager (each instance gets them), plus `instances` and `lookahead`. */
export interface UmdPoolOptions extends UmdManagerOptions {
  /**
   * Handler processes of the same loader (1). `'auto'`: `os.availableParallelism()`, sized for
   * CPU-bound work, and then `lookahead` defaults to `'auto'` (where that is more than one instance).
   * A pool with at least as many instances as cores runs its JS handlers with
   * `sandbox.singleThreadedGc` and `sandbox.minSemiSpaceSizeMb: 8` unless the sandbox options
   * say otherwise.
   * Each is an instance with its own lifecycle, restart budget and containment; `maxInFlight`
   * applies per instance, `maxQueue` to the pool's one queue, and `maxQueuedBytes` to the pool
   * as a whole: the request bytes not yet written to any of its handlers, in its queue and at
   * every instance together (`stats().total.queuedBytes`).
   */
  instances?: number | 'auto';
  /**
   * Framed requests an instance may hold beyond `maxInFlight`, waiting in its handler's input while
   * it works: a number (0 to 1024), or `'auto'`: about 2 ms of the instance's work at its recent
   * pace per reply, at least 2 (replies of a millisecond or more) and at most 16 (small messages;
   * what JSON parses of each size got on one machine is in the README). Default 0, or `'auto'` with
   * `instances: 'auto'` on more than one core. Its handler then finds the next request there when
   * it replies, instead of idling for the host's round trip, and a host that waits for a CPU does
   * not leave it idle either: for short CPU-bound requests this is the difference between keeping
   * every core busy and not. A handler still runs at most as many at once as it serves concurrently
   * (the handler runtime starts a request only once an earlier one is answered; a handler that
   * reads frame by frame does the same), so a serial handler stays serial. The cost: a crash, or a
   * timeout that kills the handler, also fails the requests waiting in its input (never re-sent),
   * and a request may wait behind a slow one while another instance frees up. A request joins an
   * instance this way only once that instance has answered before and while its oldest request is
   * younger than twice its typical time, so few wait behind a hang. Raw requests never do (raw mode
   * is one exchange at a time), nor do requests with a `timeoutMs` of their own (one passing while
   * the request waits would kill the handler, and the request it was running with it); their
   * `signal`s are fine (an abort cancels a waiting request without harm to the handler).
   */
  lookahead?: Lookahead;
}

/** A pool's options checked: its size, lookahead, the options resolved, and each instance's. */
export interface ResolvedPoolOptions {
  size: number;
  lookahead: Lookahead;
  resolved: ResolvedManagerOptions;
  /** What each instance's manager gets (its own name added). */
  perInstance: UmdManagerOptions;
}

/** @throws UmdError `UMD_INVALID_ARGUMENT` for bad options. */
export function resolvePoolOptions(options: UmdPoolOptions): ResolvedPoolOptions {
  return readingOptions('UmdPool', 'its options', () => resolve(options));
}

function resolve(options: UmdPoolOptions): ResolvedPoolOptions {
  const { instances = 1, lookahead: given, ...managerOptions } = options ?? ({} as UmdPoolOptions);
  // The manager's one validation, so that the pool's own limits (its queue, its default
  // timeout) are refused exactly as a manager refuses them.
  const resolved = resolveManagerOptions(managerOptions);
  const size = instances === 'auto' ? availableParallelism() : instances;
  if (!Number.isInteger(size) || size < 1 || size > 1024) {
    throw invalidArgument(
      'UmdPool',
      `instances must be 'auto' or an integer in 1..1024, got ${showValue(instances)}`,
    );
  }
  // At least two, not one: the handler runtime reads requests that wait together in one read
  // and sends their replies in one write, which halves the host's wake-ups; with one, the
  // handler would then find its input empty after each such pair.
  const lookahead = given ?? (instances === 'auto' && size > 1 ? 'auto' : 0);
  if (lookahead !== 'auto' && (!Number.isInteger(lookahead) || lookahead < 0 || lookahead > 1024)) {
    throw invalidArgument(
      'UmdPool',
      `lookahead must be 'auto' or an integer in 0..1024, got ${showValue(lookahead)}`,
    );
  }
  // The pool queues; an instance only ever holds what it may have in flight, its lookahead
  // included (the pool hands it those requests only where mayLookAhead allows).
  const most = lookahead === 'auto' ? AUTO_LOOKAHEAD_MAX : lookahead;
  const maxInFlight = Math.min(resolved.maxInFlight + most, 2 ** 31 - 1);
  // Instances enough to fill the cores, sized for CPU-bound work: a handler's GC helper threads
  // would only compete with the other instances and the host, and a larger young generation
  // collects less often (see SandboxOptions.singleThreadedGc and minSemiSpaceSizeMb).
  const fillsCores = size >= availableParallelism();
  const sandbox = {
    ...resolved.sandbox,
    singleThreadedGc: resolved.sandbox?.singleThreadedGc ?? fillsCores,
    minSemiSpaceSizeMb: resolved.sandbox?.minSemiSpaceSizeMb ?? (fillsCores ? 8 : 0),
  };
  const perInstance = { ...managerOptions, sandbox, maxInFlight, maxQueue: 0 };
  return { size, lookahead, resolved, perInstance };
}
