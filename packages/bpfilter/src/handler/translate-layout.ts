/**
 * bpfilter's layout rules (iptables always builds tables this way; the model needs them):
 * each built-in chain runs from its hook entry to its underflow, in hook order, the chains
 * back to back from offset 0; then user chains, each an ERROR entry naming it, its rules,
 * and an unconditional RETURN; then the final ERROR entry. Jumps land on the first entry of
 * a user chain, or on the next entry (a rule without a target; never with the goto flag).
 */
import {
  type EntryBlob,
  type EntryIndex,
  Errno,
  IPT_ENTRY_SIZE,
  IPT_F_GOTO,
  NF_INET_NUMHOOKS,
  readErrorName,
  VERDICT_RETURN,
  XT_ERROR_TARGET,
  XT_STANDARD_TARGET,
} from '../abi/index.js';
import { refuse, UNSET } from './translate-refusal.js';

/** An entry's target as the layout asks it: a verdict or jump, an ERROR entry, or another. */
export const STANDARD_ENTRY = 0;
export const ERROR_ENTRY = 1;
export const OTHER_ENTRY = 2;

/** The kind of an entry whose target is named `name`. */
export function targetKind(name: string): number {
  if (name === XT_STANDARD_TARGET) return STANDARD_ENTRY;
  return name === XT_ERROR_TARGET ? ERROR_ENTRY : OTHER_ENTRY;
}

/** Where the checks find a validated table's entries and hooks. */
export interface LayoutInput {
  blob: EntryBlob;
  offsets: readonly number[];
  /** Each entry's {@link targetKind}, by index: the walk read every target's name once. */
  kinds: readonly number[];
  entryIndex: EntryIndex;
  hookEntry: readonly number[];
  underflow: readonly number[];
  validHooks: number;
}

/** Refuses a table not laid out as chains. */
export function checkChainLayout(input: LayoutInput): void {
  const { blob, offsets, kinds } = input;
  const last = offsets.length - 1;
  const lastOffset = offsets[last] ?? 0;
  if (kinds[last] !== ERROR_ENTRY)
    refuse(
      Errno.EINVAL,
      `entry ${last} at offset ${lastOffset}: the table must end with an ERROR entry`,
    );
  const afterBuiltins = checkBuiltinChains(input);
  const chainStarts = checkUserChains(input, afterBuiltins);
  checkJumps(blob, offsets, kinds, chainStarts);
}

/** Built-in chains, back to back; returns the offset after the last one. */
function checkBuiltinChains(input: LayoutInput): number {
  const { blob, offsets, kinds, entryIndex, hookEntry, underflow, validHooks } = input;
  let expected = 0;
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(validHooks & (1 << h))) continue;
    const start = hookEntry[h] ?? UNSET;
    const end = underflow[h] ?? UNSET;
    if (start !== expected)
      refuse(
        Errno.EINVAL,
        `hook ${h}: its chain starts at offset ${start}, expected ${expected} (built-in chains are laid out back to back in hook order)`,
      );
    if (end < start)
      refuse(Errno.EINVAL, `hook ${h}: underflow ${end} is before its hook entry ${start}`);
    for (let i = entryIndex.get(start) ?? 0; i < (entryIndex.get(end) ?? 0); i++) {
      if (kinds[i] === ERROR_ENTRY)
        refuse(
          Errno.EINVAL,
          `hook ${h}: entry ${i} at offset ${offsets[i]} is an ERROR entry inside a built-in chain`,
        );
    }
    expected = end + blob.nextOffset(end);
  }
  return expected;
}

/** User chains: ERROR head, rules, unconditional RETURN tail. Returns their first rules. */
function checkUserChains(input: LayoutInput, firstOffset: number): Set<number> {
  const { blob, offsets, kinds, entryIndex } = input;
  const last = offsets.length - 1;
  const chainStarts = new Set<number>();
  const names = new Set<string>();
  const firstUser = entryIndex.get(firstOffset);
  if (firstUser === undefined)
    refuse(Errno.EINVAL, `offset ${firstOffset}: no entry after the built-in chains`);
  let i: number = firstUser;
  while (i < last) {
    const head = offsets[i] ?? 0;
    if (kinds[i] !== ERROR_ENTRY)
      refuse(
        Errno.EINVAL,
        `entry ${i} at offset ${head}: a user chain must start with an ERROR entry naming it`,
      );
    const name = readErrorName(blob.bytes, head + IPT_ENTRY_SIZE);
    if (name === '' || names.has(name))
      refuse(
        Errno.EINVAL,
        `entry ${i} at offset ${head}: user chain name "${name}" is empty or repeated`,
      );
    names.add(name);
    let j: number = i + 1;
    while (j < last && kinds[j] !== ERROR_ENTRY) j++;
    const tail = offsets[j - 1] ?? 0;
    if (
      j - 1 === i ||
      !blob.isUnconditional(tail) ||
      kinds[j - 1] !== STANDARD_ENTRY ||
      blob.verdict(tail) !== VERDICT_RETURN
    ) {
      refuse(
        Errno.EINVAL,
        `user chain "${name}" (entry ${i} at offset ${head}) must end with an unconditional RETURN entry`,
      );
    }
    chainStarts.add(offsets[i + 1] ?? 0);
    i = j;
  }
  return chainStarts;
}

/** Jumps land on a user chain's first rule, or on the next entry (no goto flag). */
function checkJumps(
  blob: EntryBlob,
  offsets: readonly number[],
  kinds: readonly number[],
  chainStarts: Set<number>,
): void {
  offsets.forEach((o, index) => {
    if (kinds[index] !== STANDARD_ENTRY) return;
    const verdict = blob.verdict(o);
    if (verdict < 0) return;
    // A rule without a target: libiptc jumps to the very next entry (the kernel just walks on).
    if (verdict === o + blob.nextOffset(o)) {
      if (blob.flags(o) & IPT_F_GOTO)
        refuse(
          Errno.EINVAL,
          `entry ${index} at offset ${o}: a goto to the next entry (libiptc never builds one; bpfilter reads it as a rule without a target)`,
        );
      return;
    }
    if (!chainStarts.has(verdict))
      refuse(
        Errno.EINVAL,
        `entry ${index} at offset ${o}: jump to offset ${verdict}, which is not the start of a user chain`,
      );
  });
}
