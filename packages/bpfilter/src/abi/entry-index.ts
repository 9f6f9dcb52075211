/**
 * Which entry of a table starts at a byte offset, from the entries' offsets in blob order
 * (ascending): a binary search instead of a Map built per table, which cost more than the
 * walks that ask it (a few lookups per jump, most tables have few jumps).
 */

/** The index of the entry at each offset of a table. */
export interface EntryIndex {
  /** The index of the entry that starts at `offset`; undefined if none does. */
  get(offset: number): number | undefined;
  /** Whether an entry starts at `offset`. */
  has(offset: number): boolean;
}

/** The {@link EntryIndex} of `offsets` (ascending, as EntryBlob.offsets() gives them). */
export function entryIndexOf(offsets: readonly number[]): EntryIndex {
  const get = (offset: number): number | undefined => {
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = offsets[mid]!;
      if (at === offset) return mid;
      if (at < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  };
  return { get, has: (offset) => get(offset) !== undefined };
}
