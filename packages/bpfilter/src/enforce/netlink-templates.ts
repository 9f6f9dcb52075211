/**
 * Expressions kept as the bytes they were first written as, and copied after. Most of a large
 * table's expressions are the same few (a counter, `meta load iifname`, `payload load` of a
 * header field, the header of a `cmp` whose value follows): writing one attribute by attribute
 * costs several bounds checks, a name lookup and a store per byte where a copy is one call.
 * Only for expressions whose bytes depend on nothing but the key they are kept under; an
 * attribute holds no absolute offset, so the copy is valid anywhere in any batch.
 */
import type { NetlinkWriter } from './netlink-writer.js';

/** Keys kept at most per kind (the expressions a table writes are a handful of each). */
const KEPT = 256;

interface Template {
  bytes: Uint8Array;
  /** Where a value written in place starts, from the expression's start (0: none). */
  value: number;
}

/** The kept expressions of one kind, by a number that says what they hold. */
export class ExprTemplates {
  readonly #kept = new Map<number, Template>();

  /**
   * Writes the expression kept under `key` into `w`; returns where its value starts in
   * `w.buffer` (its start if it has none), or -1 if none is kept (write it, then {@link keep}).
   */
  copy(w: NetlinkWriter, key: number): number {
    const template = this.#kept.get(key);
    if (template === undefined) return -1;
    const start = w.length;
    w.append(template.bytes);
    return start + template.value;
  }

  /**
   * Keeps what `w` wrote after `start` (one whole expression) under `key`; `value`: where its
   * value written in place starts in `w.buffer`, if it has one.
   */
  keep(w: NetlinkWriter, key: number, start: number, value = start): void {
    if (this.#kept.size < KEPT)
      this.#kept.set(key, { bytes: w.since(start), value: value - start });
  }
}
