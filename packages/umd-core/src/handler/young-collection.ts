import { UNINITIALIZED_MIN } from '../shared/payload-buffer.js';
import type { LoopOptions } from './serve-options.js';

/** Default of `collectAfterBytes`: fresh request bytes answered between two collections. */
export const COLLECT_AFTER_BYTES = 4 * 1024 * 1024;

type Collect = () => void;

let minorCollection: Collect | null | undefined;

/** Node's `process.getBuiltinModule` (20.16 and later), which the typings here may not know. */
const builtin = (id: string) =>
  (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.(id);

/**
 * V8's young-generation collection, taken from its `gc` extension in a throwaway context (the
 * handler's own global gets no `gc`, and later contexts neither: the flag is set back), or null
 * where the runtime does not offer it: then nothing is collected early. `node:v8` and `node:vm`
 * are loaded here, at the first collection due, not with the handler: loading them at start cost
 * every handler's cold start.
 */
function minorCollector(): Collect | null {
  if (minorCollection !== undefined) return minorCollection;
  minorCollection = null;
  try {
    let gc: unknown = (globalThis as { gc?: unknown }).gc;
    if (typeof gc !== 'function') {
      const v8 = builtin('node:v8') as typeof import('node:v8') | undefined;
      const vm = builtin('node:vm') as typeof import('node:vm') | undefined;
      if (v8 === undefined || vm === undefined) return null;
      const { setFlagsFromString } = v8;
      const { runInNewContext } = vm;
      setFlagsFromString('--expose-gc');
      try {
        gc = runInNewContext('typeof gc === "function" ? gc : undefined');
      } finally {
        setFlagsFromString('--no-expose-gc');
      }
    }
    if (typeof gc === 'function') {
      const collect = gc as (options: { type: 'minor' }) => void;
      minorCollection = () => collect({ type: 'minor' });
    }
  } catch {
    minorCollection = null;
  }
  return minorCollection;
}

/**
 * Collects the handler's young generation once `afterBytes` of fresh large request buffers have
 * been answered, at a moment the handler would otherwise wait for its next request.
 *
 * Each large request is read into fresh memory, and V8 frees a dead one only at its next
 * scavenge, which it starts by its own measure of young `ArrayBuffer` bytes: tens of MiB of dead
 * requests in turn, more on newer Nodes (where the count also starts mark-compacts). The kernel's
 * copy of each request then lands in memory long out of the CPU's cache. Collected every few MiB,
 * the allocator hands the next request the memory of the last ones, still warm. A collection
 * never frees a buffer something still holds, so this costs time, never correctness; the
 * benchmark docs of `@umd/mgmt` have the measurements.
 */
export class YoungCollection {
  readonly #afterBytes: number;
  /** Taken at the first collection due, not at start: a context costs a start time it need not. */
  #collect: Collect | null | undefined;
  #answeredBytes = 0;
  #due = false;

  /** `afterBytes` 0: never (a handler that reuses its request buffers has nothing to collect). */
  constructor(afterBytes: number) {
    this.#afterBytes = afterBytes;
    this.#collect = afterBytes > 0 ? undefined : null;
  }

  /** Counts a request payload whose request was answered (or dropped). */
  answered(payload: Uint8Array): void {
    if (this.#collect === null || payload.byteLength < UNINITIALIZED_MIN) return;
    this.#answeredBytes += payload.byteLength;
    if (this.#answeredBytes >= this.#afterBytes) this.#due = true;
  }

  /** Called between requests, where the handler would wait for input: collects if due. */
  idle(): void {
    if (!this.#due) return;
    this.#due = false;
    this.#answeredBytes = 0;
    if (this.#collect === undefined) this.#collect = minorCollector();
    this.#collect?.();
  }
}

/**
 * The collection a handler loop with `options` runs: none when it reuses its request buffers
 * (nothing fresh to collect), else after every `collectAfterBytes`.
 */
export function loopCollection(options: LoopOptions): YoungCollection {
  return new YoungCollection(options.reuseRequestBuffers ? 0 : options.collectAfterBytes);
}
