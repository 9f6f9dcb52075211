import type { UmdManager } from '../manager/umd-manager.js';

/** One handler process slot of a pool: its own manager (lifecycle, budget, containment). */
export interface PoolInstance {
  readonly index: number;
  readonly manager: UmdManager;
  /** Requests handed to this instance and not yet settled. */
  load: number;
  /** `performance.now()` before which the instance is skipped (it just failed to start). */
  downUntil: number;
}

/**
 * The least-loaded instance with a free slot (`load < capacity`), or `undefined` when every
 * instance is full. Among equally loaded ones a running handler wins over one that would have
 * to start (so a light load keeps using the handlers already up, and the pool grows lazily),
 * then the lowest index. Instances that recently failed to start are skipped, unless all are.
 */
export function pickInstance(
  instances: readonly PoolInstance[],
  capacity: number,
  now: number,
): PoolInstance | undefined {
  let best: PoolInstance | undefined;
  let bestScore = Infinity;
  let anyUp = false;
  for (const instance of instances) {
    if (instance.downUntil > now) continue;
    anyUp = true;
    if (instance.load >= capacity) continue;
    // Twice the load, plus one for a handler that is not running yet: load first, then readiness.
    const score = instance.load * 2 + (instance.manager.state === 'running' ? 0 : 1);
    if (score < bestScore) {
      best = instance;
      bestScore = score;
      if (score === 0) break;
    }
  }
  if (best !== undefined || anyUp) return best;
  // Every instance is marked down: try them anyway (the caller then gets their real error).
  for (const instance of instances) {
    if (instance.load < capacity && (best === undefined || instance.load < best.load))
      best = instance;
  }
  return best;
}
