/**
 * A table's entry blob read in place: the fields of the `ipt_entry` at a byte offset and of
 * its target, without decoding the entry. Validators, counter updates and scans read entries
 * through this one view instead of repeating offset arithmetic.
 */
import { viewOf } from './bytes.js';
import { IPT_ENTRY_SIZE, IPT_IP_SIZE, IptEntryOffset } from './entry.js';
import { decodeXtHeader, XT_OBJECT_HEADER_SIZE } from './xt-object.js';

/** The entries of one table (`ipt_replace.entries`, `ipt_get_entries.entrytable`). */
export class EntryBlob {
  readonly bytes: Uint8Array;
  readonly #view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = viewOf(bytes);
  }

  /** Bytes in the blob. */
  get size(): number {
    return this.bytes.length;
  }

  /** `next_offset` of the entry at `at`: its length. */
  nextOffset(at: number): number {
    return this.#view.getUint16(at + IptEntryOffset.nextOffset, true);
  }

  /** `target_offset` of the entry at `at`, relative to the entry. */
  targetOffset(at: number): number {
    return this.#view.getUint16(at + IptEntryOffset.targetOffset, true);
  }

  /** Where the entry's target starts in the blob. */
  targetAt(at: number): number {
    return at + this.targetOffset(at);
  }

  /** The entry's target header: `{ size, name, revision }`. */
  target(at: number): { size: number; name: string; revision: number } {
    return decodeXtHeader(this.bytes, this.targetAt(at));
  }

  targetName(at: number): string {
    return this.target(at).name;
  }

  /** Whether the entry at `at` has the standard target (named "": a verdict or a jump). */
  hasStandardTarget(at: number): boolean {
    return this.bytes[this.targetAt(at) + 2] === 0;
  }

  /** A standard target's verdict (the i32 after its header). */
  verdict(at: number): number {
    return this.#view.getInt32(this.targetAt(at) + XT_OBJECT_HEADER_SIZE, true);
  }

  /** `ipt_ip.proto`. */
  proto(at: number): number {
    return this.#view.getUint16(at + IptEntryOffset.proto, true);
  }

  /** `ipt_ip.flags` (`IPT_F_*`). */
  flags(at: number): number {
    return this.bytes[at + IptEntryOffset.flags] ?? 0;
  }

  /** `ipt_ip.invflags` (`IPT_INV_*`). */
  invflags(at: number): number {
    return this.bytes[at + IptEntryOffset.invflags] ?? 0;
  }

  /** `comefrom`: the hooks that reach the entry (the kernel's bookkeeping). */
  comefrom(at: number): number {
    return this.#view.getUint32(at + IptEntryOffset.comefrom, true);
  }

  setComefrom(at: number, value: number): void {
    this.#view.setUint32(at + IptEntryOffset.comefrom, value >>> 0, true);
  }

  /** The entry's packet and byte counters. */
  counters(at: number): { packets: bigint; bytes: bigint } {
    return {
      packets: this.#view.getBigUint64(at + IptEntryOffset.pcnt, true),
      bytes: this.#view.getBigUint64(at + IptEntryOffset.bcnt, true),
    };
  }

  /** Zeroes the entry's `comefrom` and counters (as the kernel's copy of a new table starts). */
  clearComefromAndCounters(at: number): void {
    this.bytes.fill(0, at + IptEntryOffset.comefrom, at + IptEntryOffset.bcnt + 8);
  }

  setCounters(at: number, packets: bigint, bytes: bigint): void {
    this.#view.setBigUint64(at + IptEntryOffset.pcnt, packets, true);
    this.#view.setBigUint64(at + IptEntryOffset.bcnt, bytes, true);
  }

  /** `unconditional()`: no matches and an all-zero `ipt_ip`. */
  isUnconditional(at: number): boolean {
    if (this.targetOffset(at) !== IPT_ENTRY_SIZE) return false;
    for (let i = 0; i < IPT_IP_SIZE; i++) if (this.bytes[at + i] !== 0) return false;
    return true;
  }

  /**
   * Byte offset of each entry, in order.
   * @throws RangeError for a `next_offset` of 0 or one that runs past the blob.
   */
  offsets(): number[] {
    const offsets: number[] = [];
    for (let at = 0; at < this.size; ) {
      const next = this.nextOffset(at);
      if (next === 0 || at + next > this.size)
        throw new RangeError(`entry at ${at} has next_offset ${next}`);
      offsets.push(at);
      at += next;
    }
    return offsets;
  }
}
