/**
 * Whether a kept table's entries hold zeros in every byte a GET_ENTRIES leaves alone (a name's
 * tail after its NUL, the padding past an extension's data). Such a table answers a caller
 * whose buffer is zeros past its header (iptables' freshly allocated one) with one copy of
 * its entries, which is what `copy_entries_to_user` would write: it writes every other byte
 * from the table, and the bytes it leaves alone are zeros in both.
 */
import { copyEntriesToUser } from '../handler/copy-entries.js';
import { snapshotOffsets, type TableSnapshot } from './table-snapshot.js';

const known = new WeakMap<TableSnapshot, boolean>();

/** Records that `snapshot`'s entries were written by `copyEntriesToUser` into zeros. */
export function markZeroGaps(snapshot: TableSnapshot): void {
  known.set(snapshot, true);
}

/** `next` has the gaps of `from` (only counters differ between them). */
export function inheritZeroGaps(from: TableSnapshot, next: TableSnapshot): void {
  const value = known.get(from);
  if (value !== undefined) known.set(next, value);
}

/**
 * Whether the bytes GET_ENTRIES leaves alone are zero in `snapshot`: recorded, or found once
 * (a table read back from a handler or loaded from a state file) by writing it into zeros.
 */
export function hasZeroGaps(snapshot: TableSnapshot): boolean {
  let value = known.get(snapshot);
  if (value === undefined) {
    const written = new Uint8Array(snapshot.entries.length);
    copyEntriesToUser(snapshot.entries, snapshotOffsets(snapshot), written);
    value = asBuffer(written).equals(snapshot.entries);
    known.set(snapshot, value);
  }
  return value;
}

const ZEROS = Buffer.alloc(64 * 1024);

/** Whether every byte of `bytes` is zero (compared with memcmp, a chunk at a time). */
export function isAllZero(bytes: Uint8Array): boolean {
  const buffer = asBuffer(bytes);
  for (let at = 0; at < buffer.length; at += ZEROS.length) {
    const end = Math.min(buffer.length, at + ZEROS.length);
    if (buffer.compare(ZEROS, 0, end - at, at, end) !== 0) return false;
  }
  return true;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
