/**
 * SET_REPLACE validation, in the order the kernel does it (`translate_table`,
 * `check_entry_size_and_hooks`, `xt_check_entry_offsets`, `xt_check_table_hooks`,
 * `mark_source_chains`, `find_check_entry`), then the chain-layout checks bpfilter needs to
 * read a table as chains (`translate-layout.ts`).
 *
 * Pure: reads the blob, never throws on bad input, and returns either a normalized copy
 * (counters zero, `comefrom` = the hooks that reach each entry, as the kernel stores it)
 * or an errno with a message that says what and where.
 */
import {
  EntryBlob,
  entryIndexOf,
  Errno,
  hasNul,
  IPT_ENTRY_SIZE,
  IPT_F_MASK,
  IPT_INV_MASK,
  type HookOffsets,
  NF_ACCEPT,
  NF_DROP,
  NF_INET_NUMHOOKS,
  NF_QUEUE,
  readU16,
  type TableHeader,
  VERDICT_RETURN,
  XT_ERROR_TARGET,
  XT_ERROR_TARGET_SIZE,
  XT_OBJECT_HEADER_SIZE,
  XT_STANDARD_TARGET,
  XT_STANDARD_TARGET_SIZE,
  xtAlign,
} from '../abi/index.js';
import { hostEnvironment } from './check-environment.js';
import type { CheckEnvironment } from './extension-spec.js';
import { checkExtensions } from './translate-extensions.js';
import { checkChainLayout, targetKind } from './translate-layout.js';
import { EntryPlace, Refusal, refuse, UNSET } from './translate-refusal.js';
import { markSourceChains } from './translate-source-chains.js';

/** A SET_REPLACE request's table, to validate. */
export interface TranslateInput extends TableHeader {
  /** The table name of the request (used by table-restricted targets). */
  name: string;
  /** Exactly `size` bytes of entries. */
  entries: Uint8Array;
  /** What the checks look up outside the table (default: this machine). */
  env?: CheckEnvironment;
  /**
   * Exactly `size` bytes that the normalized copy is written into (default: fresh memory): what
   * the result's `entries` then are, on success and whatever they held before. Nothing else may
   * use them while the table is kept.
   */
  into?: Uint8Array | undefined;
}

/** A validated table, as the kernel keeps it (`hookEntry`/`underflow` 0xFFFFFFFF where unset). */
export interface TranslatedTable extends TableHeader {
  /** Normalized copy: counters zero, `comefrom` computed. */
  entries: Uint8Array;
  /** Byte offset of each entry. */
  offsets: number[];
}

/** The validator's answer. */
export type TranslateResult =
  | { ok: true; table: TranslatedTable }
  | { ok: false; errno: number; message: string };

/** Validate and normalize a table. */
export function translateTable(input: TranslateInput): TranslateResult {
  try {
    return { ok: true, table: translate(input) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, errno: error.errno, message: error.message };
    throw error;
  }
}

function verdictOk(verdict: number): boolean {
  if (verdict > 0) return true;
  if (verdict === VERDICT_RETURN) return true;
  if (verdict < 0) {
    const v = -verdict - 1;
    return v === NF_ACCEPT || v === NF_DROP || v === NF_QUEUE;
  }
  return false;
}

function translate(input: TranslateInput): TranslatedTable {
  const { size, numEntries, validHooks } = input;
  if (input.entries.length < size)
    refuse(
      Errno.EINVAL,
      `the request carries ${input.entries.length} bytes of entries, the header says ${size}`,
    );
  // A copy: the handler's request memory is read into again by its next request.
  const copy = input.into ?? new Uint8Array(size);
  if (copy.length !== size)
    throw new RangeError(`translate: ${copy.length} bytes to copy ${size} bytes of entries into`);
  copy.set(input.entries.subarray(0, size));
  const blob = new EntryBlob(copy);
  const hookEntry: number[] = [UNSET, UNSET, UNSET, UNSET, UNSET];
  const underflow: number[] = [UNSET, UNSET, UNSET, UNSET, UNSET];
  const offsets: number[] = [];
  const kinds: number[] = [];

  // Walk the entries (xt_entry_foreach + check_entry_size_and_hooks).
  let offset = 0;
  while (offset < size) {
    const where = new EntryPlace(offsets.length, offset);
    const target = checkEntrySize(blob, offset, where);
    for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
      if (!(validHooks & (1 << h))) continue;
      if (offset === input.hookEntry[h]) hookEntry[h] = offset;
      if (offset === input.underflow[h]) {
        if (!isUnderflowOk(blob, offset, target))
          refuse(
            Errno.EINVAL,
            `${where}: the underflow (policy) of hook ${h} is not an unconditional ACCEPT or DROP`,
          );
        underflow[h] = offset;
      }
    }
    // Clear counters and comefrom, as the kernel does.
    blob.clearComefromAndCounters(offset);
    offsets.push(offset);
    kinds.push(targetKind(target));
    offset += blob.nextOffset(offset);
  }
  if (offsets.length !== numEntries)
    refuse(
      Errno.EINVAL,
      `num_entries is ${numEntries} but the blob holds ${offsets.length} entries`,
    );

  checkTableHooks(hookEntry, underflow, validHooks);
  const entryIndex = entryIndexOf(offsets);
  const loop = markSourceChains(blob, validHooks, hookEntry, entryIndex);
  if (loop) refuse(Errno.ELOOP, loop);
  const env = input.env ?? hostEnvironment();
  offsets.forEach((o, i) => checkExtensions(blob, o, new EntryPlace(i, o), input.name, env));
  checkChainLayout({ blob, offsets, kinds, entryIndex, hookEntry, underflow, validHooks });

  return {
    validHooks,
    hookEntry: hookEntry as HookOffsets,
    underflow: underflow as HookOffsets,
    numEntries,
    size,
    entries: blob.bytes,
    offsets,
  };
}

/**
 * `check_entry_size_and_hooks` + `ip_checkentry` + `xt_check_entry_offsets`; returns the name
 * of the entry's target.
 */
function checkEntrySize(blob: EntryBlob, offset: number, where: EntryPlace): string {
  const limit = blob.size;
  if (offset % 8 !== 0) refuse(Errno.EINVAL, `${where}: not 8-byte aligned`);
  if (offset + IPT_ENTRY_SIZE >= limit)
    refuse(
      Errno.EINVAL,
      `${where}: the entry header runs past the end of the table (size ${limit})`,
    );
  const next = blob.nextOffset(offset);
  if (offset + next > limit)
    refuse(
      Errno.EINVAL,
      `${where}: next_offset ${next} runs past the end of the table (size ${limit})`,
    );
  if (next < IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE)
    refuse(Errno.EINVAL, `${where}: next_offset ${next} is smaller than an entry with a target`);
  const flags = blob.flags(offset);
  const invflags = blob.invflags(offset);
  if (flags & ~IPT_F_MASK)
    refuse(Errno.EINVAL, `${where}: unknown ip flags 0x${flags.toString(16)}`);
  if (invflags & ~IPT_INV_MASK)
    refuse(Errno.EINVAL, `${where}: unknown ip invflags 0x${invflags.toString(16)}`);

  const targetOffset = blob.targetOffset(offset);
  if (targetOffset < IPT_ENTRY_SIZE)
    refuse(Errno.EINVAL, `${where}: target_offset ${targetOffset} points inside the entry header`);
  if (targetOffset + XT_OBJECT_HEADER_SIZE > next)
    refuse(
      Errno.EINVAL,
      `${where}: target_offset ${targetOffset} leaves no room for a target before next_offset ${next}`,
    );
  const target = blob.target(offset);
  if (target.size < XT_OBJECT_HEADER_SIZE)
    refuse(Errno.EINVAL, `${where}: target size ${target.size} is smaller than its header`);
  if (targetOffset + target.size > next)
    refuse(
      Errno.EINVAL,
      `${where}: the target (size ${target.size}) runs past next_offset ${next}`,
    );
  if (target.name === XT_STANDARD_TARGET) {
    if (xtAlign(targetOffset + XT_STANDARD_TARGET_SIZE) !== next)
      refuse(Errno.EINVAL, `${where}: a standard target must end the entry (next_offset ${next})`);
    const verdict = blob.verdict(offset);
    if (!verdictOk(verdict)) refuse(Errno.EINVAL, `${where}: invalid standard verdict ${verdict}`);
  } else if (target.name === XT_ERROR_TARGET) {
    if (
      target.size !== XT_ERROR_TARGET_SIZE ||
      !hasNul(blob.bytes, blob.targetAt(offset) + XT_OBJECT_HEADER_SIZE, 30)
    ) {
      refuse(
        Errno.EINVAL,
        `${where}: malformed ERROR target (size ${target.size}, name must be NUL-terminated)`,
      );
    }
  }
  checkMatchOffsets(blob, offset, where);
  return target.name;
}

/** `xt_check_entry_match`: matches tile [112, target_offset) exactly. */
function checkMatchOffsets(blob: EntryBlob, offset: number, where: EntryPlace): void {
  const targetOffset = blob.targetOffset(offset);
  let length = targetOffset - IPT_ENTRY_SIZE;
  let pos = offset + IPT_ENTRY_SIZE;
  let index = 0;
  while (length > 0) {
    if (pos % 8 !== 0) refuse(Errno.EINVAL, `${where}: match ${index} is not 8-byte aligned`);
    if (length < XT_OBJECT_HEADER_SIZE)
      refuse(Errno.EINVAL, `${where}: ${length} bytes before the target are too few for a match`);
    const matchSize = readU16(blob.bytes, pos);
    if (matchSize < XT_OBJECT_HEADER_SIZE)
      refuse(Errno.EINVAL, `${where}: match ${index} size ${matchSize} is smaller than its header`);
    if (matchSize > length)
      refuse(
        Errno.EINVAL,
        `${where}: match ${index} (size ${matchSize}) runs past target_offset ${targetOffset}`,
      );
    length -= matchSize;
    pos += matchSize;
    index++;
  }
}

/** `check_underflow`: an unconditional standard ACCEPT or DROP. */
function isUnderflowOk(blob: EntryBlob, offset: number, target: string): boolean {
  if (!blob.isUnconditional(offset)) return false;
  if (target !== XT_STANDARD_TARGET) return false;
  const v = -blob.verdict(offset) - 1;
  return v === NF_DROP || v === NF_ACCEPT;
}

/** `xt_check_table_hooks`: every valid hook has an entry and an underflow, in order. */
function checkTableHooks(hookEntry: number[], underflow: number[], validHooks: number): void {
  let maxEntry = 0;
  let maxUnderflow = 0;
  let checkOrder = false;
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(validHooks & (1 << h))) continue;
    const entry = hookEntry[h] ?? UNSET;
    const uflow = underflow[h] ?? UNSET;
    if (entry === UNSET) refuse(Errno.EINVAL, `hook ${h}: hook_entry is not on an entry boundary`);
    if (uflow === UNSET) refuse(Errno.EINVAL, `hook ${h}: underflow is not on an entry boundary`);
    if (checkOrder) {
      if (maxUnderflow > uflow) refuse(Errno.EINVAL, `hook ${h}: unsorted underflow`);
      if (maxUnderflow === uflow) refuse(Errno.EINVAL, `hook ${h}: duplicate underflow`);
      if (maxEntry > entry) refuse(Errno.EINVAL, `hook ${h}: unsorted entry`);
      if (maxEntry === entry) refuse(Errno.EINVAL, `hook ${h}: duplicate entry`);
    }
    maxEntry = entry;
    maxUnderflow = uflow;
    checkOrder = true;
  }
}
