import { reclaimUnstarted } from '../manager/umd-manager.js';
import type { PoolInstance } from './dispatch.js';

/** An instance's oldest request is overdue after this many of its typical times... */
export const OVERDUE_TYPICAL_TIMES = 4;
/** ...and never before this many ms (a pause of the machine is not a hang). */
export const OVERDUE_MIN_MS = 20;

/** How long `instance`'s oldest request may run before the ones behind it are taken back. */
export function overdueAfterMs(instance: PoolInstance): number {
  return Math.max(OVERDUE_MIN_MS, OVERDUE_TYPICAL_TIMES * (instance.typicalMs ?? 0));
}

/**
 * Watches the requests `instance` holds beyond `capacity` (its lookahead, waiting in the
 * handler's input): once its oldest request is overdue ({@link overdueAfterMs}), they are asked
 * back, and each one the handler confirms it has not started (or that was never written) fails
 * with `UMD_NOT_STARTED` for the pool to send elsewhere. So a hung or slow request holds up only
 * itself, not the queue behind it, and nothing that may have run is sent twice. One timer per
 * instance at a time; call it whenever the instance's load changes.
 */
export function watchBehind(instance: PoolInstance, capacity: number): void {
  if (instance.behind.timer !== undefined || instance.handedAt.length <= capacity) return;
  const oldest = instance.handedAt[0]!;
  if (instance.behind.reclaimedFor === oldest) return; // asked back once behind this one
  const dueIn = oldest + overdueAfterMs(instance) - performance.now();
  instance.behind.timer = setTimeout(
    () => {
      instance.behind.timer = undefined;
      if (instance.handedAt[0] === oldest && instance.handedAt.length > capacity) {
        instance.behind.reclaimedFor = oldest;
        instance.manager[reclaimUnstarted](capacity);
      }
      watchBehind(instance, capacity);
    },
    Math.max(0, dueIn),
  );
  instance.behind.timer.unref();
}
