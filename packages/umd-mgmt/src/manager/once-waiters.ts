/**
 * Counts one-shot waits on an emitter's lifecycle events (`await events.once(manager, 'exit')`
 * registers such a listener), so that the manager can keep the host alive while someone
 * awaits one: an idle handler is unreferenced, and a program awaiting its exit would
 * otherwise end silently (status 13 under top-level await) before the event arrives.
 */
import type { EventEmitter } from 'node:events';

type Listener = (...args: never[]) => unknown;

export class OnceWaiters {
  readonly #events: ReadonlySet<string | symbol>;
  readonly #waiting = new Set<Listener>();
  readonly #changed: () => void;

  /** `changed` runs whenever the count goes from 0 to 1 or back. */
  constructor(emitter: EventEmitter, events: Iterable<string>, changed: () => void) {
    this.#events = new Set(events);
    this.#changed = changed;
    // Emitted with the original listener when a once-listener fires or is removed.
    emitter.on('removeListener', (_event: string | symbol, listener: Listener) => {
      if (this.#waiting.delete(listener) && this.#waiting.size === 0) this.#changed();
    });
  }

  /** Call from the emitter's `once()` before registering `listener`. */
  add(event: string | symbol, listener: Listener): void {
    if (!this.#events.has(event) || this.#waiting.has(listener)) return;
    this.#waiting.add(listener);
    if (this.#waiting.size === 1) this.#changed();
  }

  /** Whether anyone awaits one of the events. */
  get waiting(): boolean {
    return this.#waiting.size > 0;
  }
}
