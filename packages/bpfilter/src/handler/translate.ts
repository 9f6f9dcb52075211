/**
 * SET_REPLACE validation, in the order the kernel does it (`translate_table`,
 * `check_entry_size_and_hooks`, `xt_check_entry_offsets`, `xt_check_table_hooks`,
 * `mark_source_chains`, `find_check_entry`), then the chain-layout checks bpfilter needs to
 * read a table as chains (user chains headed by ERROR entries and ended by an
 * unconditional RETURN, jumps onto chain starts or onto the next entry (libiptc's encoding
 * of a rule without a target), a final ERROR entry).
 *
 * Pure: reads the blob, never throws on bad input, and returns either a normalized copy
 * (counters zero, `comefrom` = the hooks that reach each entry, as the kernel stores it)
 * or an errno with a message that says what and where.
 */
import {
  Errno,
  IPT_ENTRY_SIZE,
  IPT_F_GOTO,
  IPT_F_MASK,
  IPT_INV_MASK,
  IPT_INV_PROTO,
  IPT_IP_SIZE,
  IptEntryOffset,
  NF_ACCEPT,
  NF_DROP,
  NF_INET_NUMHOOKS,
  NF_QUEUE,
  VERDICT_RETURN,
  XT_ERROR_TARGET,
  XT_ERROR_TARGET_SIZE,
  XT_OBJECT_HEADER_SIZE,
  XT_STANDARD_TARGET,
  XT_STANDARD_TARGET_SIZE,
  decodeXtHeader,
  hasNul,
  readErrorName,
  viewOf,
  xtAlign,
  type HookOffsets,
} from '../abi/index.js';
import { hostEnvironment } from './check-environment.js';
import type { CheckContext, CheckEnvironment, RuleMatch } from './extension-spec.js';
import { MATCHES, TARGETS, revisionsOf, type ExtensionSpec } from './extensions.js';

/** The replace header fields validation needs. */
export interface TranslateInput {
  /** The table name of the request (used by table-restricted targets). */
  name: string;
  validHooks: number;
  numEntries: number;
  size: number;
  hookEntry: HookOffsets;
  underflow: HookOffsets;
  /** Exactly `size` bytes of entries. */
  entries: Uint8Array;
  /** What the checks look up outside the table (default: this machine). */
  env?: CheckEnvironment;
}

/** A validated table, as the kernel keeps it. */
export interface TranslatedTable {
  validHooks: number;
  /** 0xFFFFFFFF for hooks the table does not have. */
  hookEntry: HookOffsets;
  underflow: HookOffsets;
  numEntries: number;
  size: number;
  /** Normalized copy: counters zero, `comefrom` computed. */
  entries: Uint8Array;
  /** Byte offset of each entry. */
  offsets: number[];
}

/** The validator's answer. */
export type TranslateResult =
  | { ok: true; table: TranslatedTable }
  | { ok: false; errno: number; message: string };

const UNSET = 0xffffffff;
const MARK = 1 << NF_INET_NUMHOOKS;

class Refusal {
  constructor(
    readonly errno: number,
    readonly message: string,
  ) {}
}
function refuse(errno: number, message: string): never {
  throw new Refusal(errno, message);
}

/** Validate and normalize a table. */
export function translateTable(input: TranslateInput): TranslateResult {
  try {
    return { ok: true, table: translate(input) };
  } catch (error) {
    if (error instanceof Refusal) return { ok: false, errno: error.errno, message: error.message };
    throw error;
  }
}

function targetName(entries: Uint8Array, offset: number, view: DataView): string {
  return decodeXtHeader(
    entries,
    offset + view.getUint16(offset + IptEntryOffset.targetOffset, true),
  ).name;
}

/** `unconditional()`: no matches and an all-zero `ipt_ip`. */
function isUnconditional(entries: Uint8Array, offset: number, view: DataView): boolean {
  if (view.getUint16(offset + IptEntryOffset.targetOffset, true) !== IPT_ENTRY_SIZE) return false;
  for (let i = 0; i < IPT_IP_SIZE; i++) if (entries[offset + i] !== 0) return false;
  return true;
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
  const entries = input.entries.slice(0, size);
  const view = viewOf(entries);
  const hookEntry: number[] = [UNSET, UNSET, UNSET, UNSET, UNSET];
  const underflow: number[] = [UNSET, UNSET, UNSET, UNSET, UNSET];
  const offsets: number[] = [];

  // Walk the entries (xt_entry_foreach + check_entry_size_and_hooks).
  let offset = 0;
  while (offset < size) {
    const where = `entry ${offsets.length} at offset ${offset}`;
    checkEntrySize(entries, view, offset, size, where);
    for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
      if (!(validHooks & (1 << h))) continue;
      if (offset === input.hookEntry[h]) hookEntry[h] = offset;
      if (offset === input.underflow[h]) {
        if (!isUnderflowOk(entries, view, offset))
          refuse(
            Errno.EINVAL,
            `${where}: the underflow (policy) of hook ${h} is not an unconditional ACCEPT or DROP`,
          );
        underflow[h] = offset;
      }
    }
    // Clear counters and comefrom, as the kernel does.
    view.setUint32(offset + IptEntryOffset.comefrom, 0, true);
    view.setBigUint64(offset + IptEntryOffset.pcnt, 0n, true);
    view.setBigUint64(offset + IptEntryOffset.bcnt, 0n, true);
    offsets.push(offset);
    offset += view.getUint16(offset + IptEntryOffset.nextOffset, true);
  }
  if (offsets.length !== numEntries)
    refuse(
      Errno.EINVAL,
      `num_entries is ${numEntries} but the blob holds ${offsets.length} entries`,
    );

  checkTableHooks(hookEntry, underflow, validHooks);
  const entryIndex = new Map<number, number>(offsets.map((o, i) => [o, i]));
  const loop = markSourceChains(entries, view, size, validHooks, hookEntry, entryIndex);
  if (loop) refuse(Errno.ELOOP, loop);
  const env = input.env ?? hostEnvironment();
  offsets.forEach((o, i) =>
    checkExtensions(entries, view, o, `entry ${i} at offset ${o}`, input.name, env),
  );
  checkChainLayout(entries, view, offsets, entryIndex, hookEntry, underflow, validHooks);

  return {
    validHooks,
    hookEntry: hookEntry as HookOffsets,
    underflow: underflow as HookOffsets,
    numEntries,
    size,
    entries,
    offsets,
  };
}

/** `check_entry_size_and_hooks` + `ip_checkentry` + `xt_check_entry_offsets`. */
function checkEntrySize(
  entries: Uint8Array,
  view: DataView,
  offset: number,
  limit: number,
  where: string,
): void {
  if (offset % 8 !== 0) refuse(Errno.EINVAL, `${where}: not 8-byte aligned`);
  if (offset + IPT_ENTRY_SIZE >= limit)
    refuse(
      Errno.EINVAL,
      `${where}: the entry header runs past the end of the table (size ${limit})`,
    );
  const next = view.getUint16(offset + IptEntryOffset.nextOffset, true);
  if (offset + next > limit)
    refuse(
      Errno.EINVAL,
      `${where}: next_offset ${next} runs past the end of the table (size ${limit})`,
    );
  if (next < IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE)
    refuse(Errno.EINVAL, `${where}: next_offset ${next} is smaller than an entry with a target`);
  const flags = entries[offset + IptEntryOffset.flags] ?? 0;
  const invflags = entries[offset + IptEntryOffset.invflags] ?? 0;
  if (flags & ~IPT_F_MASK)
    refuse(Errno.EINVAL, `${where}: unknown ip flags 0x${flags.toString(16)}`);
  if (invflags & ~IPT_INV_MASK)
    refuse(Errno.EINVAL, `${where}: unknown ip invflags 0x${invflags.toString(16)}`);

  const targetOffset = view.getUint16(offset + IptEntryOffset.targetOffset, true);
  if (targetOffset < IPT_ENTRY_SIZE)
    refuse(Errno.EINVAL, `${where}: target_offset ${targetOffset} points inside the entry header`);
  if (targetOffset + XT_OBJECT_HEADER_SIZE > next)
    refuse(
      Errno.EINVAL,
      `${where}: target_offset ${targetOffset} leaves no room for a target before next_offset ${next}`,
    );
  const target = decodeXtHeader(entries, offset + targetOffset);
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
    const verdict = view.getInt32(offset + targetOffset + XT_OBJECT_HEADER_SIZE, true);
    if (!verdictOk(verdict)) refuse(Errno.EINVAL, `${where}: invalid standard verdict ${verdict}`);
  } else if (target.name === XT_ERROR_TARGET) {
    if (
      target.size !== XT_ERROR_TARGET_SIZE ||
      !hasNul(entries, offset + targetOffset + XT_OBJECT_HEADER_SIZE, 30)
    ) {
      refuse(
        Errno.EINVAL,
        `${where}: malformed ERROR target (size ${target.size}, name must be NUL-terminated)`,
      );
    }
  }
  // xt_check_entry_match: matches tile [112, target_offset) exactly.
  let length = targetOffset - IPT_ENTRY_SIZE;
  let pos = offset + IPT_ENTRY_SIZE;
  let index = 0;
  while (length > 0) {
    if (pos % 8 !== 0) refuse(Errno.EINVAL, `${where}: match ${index} is not 8-byte aligned`);
    if (length < XT_OBJECT_HEADER_SIZE)
      refuse(Errno.EINVAL, `${where}: ${length} bytes before the target are too few for a match`);
    const matchSize = view.getUint16(pos, true);
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
function isUnderflowOk(entries: Uint8Array, view: DataView, offset: number): boolean {
  if (!isUnconditional(entries, offset, view)) return false;
  if (targetName(entries, offset, view) !== XT_STANDARD_TARGET) return false;
  const verdict = view.getInt32(offset + IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE, true);
  const v = -verdict - 1;
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

/**
 * `mark_source_chains`: walk every hook's rules depth-first without recursion (back
 * pointers in a side table where the kernel borrows the packet counter), record in
 * `comefrom` which hooks reach each entry; a loop, a jump off an entry boundary or a fall
 * off the end is refused. Returns a message on failure.
 */
function markSourceChains(
  entries: Uint8Array,
  view: DataView,
  size: number,
  validHooks: number,
  hookEntry: number[],
  entryIndex: Map<number, number>,
): string | undefined {
  const back = new Map<number, number>();
  const comefromAt = (e: number) => view.getUint32(e + IptEntryOffset.comefrom, true);
  const setComefrom = (e: number, value: number) =>
    view.setUint32(e + IptEntryOffset.comefrom, value >>> 0, true);
  const nextOf = (e: number) => view.getUint16(e + IptEntryOffset.nextOffset, true);

  for (let hook = 0; hook < NF_INET_NUMHOOKS; hook++) {
    if (!(validHooks & (1 << hook))) continue;
    let pos = hookEntry[hook] ?? 0;
    let e = pos;
    back.set(e, pos);
    for (;;) {
      const isStandard = targetName(entries, e, view) === XT_STANDARD_TARGET;
      const verdict = view.getInt32(
        e + view.getUint16(e + IptEntryOffset.targetOffset, true) + XT_OBJECT_HEADER_SIZE,
        true,
      );
      const visited = comefromAt(e) & (1 << hook);
      if (comefromAt(e) & MARK)
        return `hook ${hook}: loop through entry ${entryIndex.get(e)} at offset ${e}`;
      setComefrom(e, comefromAt(e) | (1 << hook) | MARK);

      if ((isUnconditional(entries, e, view) && isStandard && verdict < 0) || visited) {
        // Return: backtrack through the last jump.
        let oldpos: number;
        let done = false;
        do {
          setComefrom(e, comefromAt(e) ^ MARK);
          oldpos = pos;
          pos = back.get(e) ?? 0;
          back.set(e, 0);
          if (pos === oldpos) {
            done = true;
            break;
          }
          e = pos;
        } while (oldpos === pos + nextOf(e));
        if (done) break;
        const step = nextOf(e);
        e = pos + step;
        if (pos + step >= size)
          return `hook ${hook}: falls off the end of the table after the entry at offset ${pos}`;
        back.set(e, pos);
        pos += step;
      } else {
        let newpos = verdict;
        if (isStandard && newpos >= 0) {
          if (!entryIndex.has(newpos))
            return `hook ${hook}: entry ${entryIndex.get(e)} at offset ${e} jumps to offset ${newpos}, which is not an entry boundary`;
        } else {
          newpos = pos + nextOf(e);
          if (newpos >= size)
            return `hook ${hook}: falls off the end of the table after the entry at offset ${pos}`;
        }
        e = newpos;
        back.set(e, pos);
        pos = newpos;
      }
    }
  }
  return undefined;
}

/** `find_check_entry`: each match and the target exist in that revision and pass their checks. */
function checkExtensions(
  entries: Uint8Array,
  view: DataView,
  offset: number,
  where: string,
  table: string,
  env: CheckEnvironment,
): void {
  const targetOffset = view.getUint16(offset + IptEntryOffset.targetOffset, true);
  const rule = {
    proto: view.getUint16(offset + IptEntryOffset.proto, true),
    invflags: entries[offset + IptEntryOffset.invflags] ?? 0,
    hookMask: view.getUint32(offset + IptEntryOffset.comefrom, true),
    table,
    env,
    matches: [] as RuleMatch[],
  };
  const objects: { kind: 'match' | 'target'; pos: number }[] = [];
  let pos = offset + IPT_ENTRY_SIZE;
  while (pos < offset + targetOffset) {
    const header = decodeXtHeader(entries, pos);
    const data = entries.subarray(pos + XT_OBJECT_HEADER_SIZE, pos + header.size);
    rule.matches.push({ name: header.name, revision: header.revision, data });
    objects.push({ kind: 'match', pos });
    pos += header.size;
  }
  objects.push({ kind: 'target', pos: offset + targetOffset });
  for (const object of objects) {
    const header = decodeXtHeader(entries, object.pos);
    const data = entries.subarray(object.pos + XT_OBJECT_HEADER_SIZE, object.pos + header.size);
    const spec = (object.kind === 'match' ? MATCHES : TARGETS).get(header.name);
    checkExtension(object.kind, spec, header, { ...rule, data, revision: header.revision }, where);
  }
}

/** `xt_check_match` / `xt_check_target`: size, table, hooks, protocol, then checkentry. */
function checkExtension(
  kind: 'match' | 'target',
  spec: ExtensionSpec | undefined,
  header: { size: number; name: string; revision: number },
  ctx: CheckContext,
  where: string,
): void {
  const label = `${where}: ${kind} "${header.name}" revision ${header.revision}`;
  if (!spec) refuse(Errno.ENOENT, `${label}: no such ${kind}`);
  // The kernel's lookup falls back to NFPROTO_UNSPEC, whose "not found" wins: ENOENT (measured).
  const size = spec.sizes[header.revision];
  if (size === undefined)
    refuse(Errno.ENOENT, `${label}: revision not supported (have ${revisionsOf(spec).join(', ')})`);
  if (size !== null && xtAlign(size) !== header.size - XT_OBJECT_HEADER_SIZE) {
    refuse(
      Errno.EINVAL,
      `${label}: data size ${header.size - XT_OBJECT_HEADER_SIZE} != ${xtAlign(size)}`,
    );
  }
  if (spec.table !== undefined && spec.table !== ctx.table)
    refuse(Errno.EINVAL, `${label}: only valid in table "${spec.table}"`);
  if (spec.hooks !== undefined && ctx.hookMask & ~spec.hooks)
    refuse(
      Errno.EINVAL,
      `${label}: used from hook mask 0x${ctx.hookMask.toString(16)}, valid only in 0x${spec.hooks.toString(16)}`,
    );
  if (spec.proto !== undefined && (spec.proto !== ctx.proto || ctx.invflags & IPT_INV_PROTO))
    refuse(
      Errno.EINVAL,
      `${label}: needs protocol ${spec.proto} (not inverted), rule has ${ctx.proto}`,
    );
  const problem = spec.check?.(ctx);
  if (typeof problem === 'string') refuse(Errno.EINVAL, `${label}: ${problem}`);
  if (problem) refuse(problem.errno, `${label}: ${problem.message}`);
}

/**
 * bpfilter's layout rules (iptables always builds tables this way; the model needs them):
 * each built-in chain runs from its hook entry to its underflow, in hook order, the chains
 * back to back from offset 0; then user chains, each an ERROR entry naming it, its rules,
 * and an unconditional RETURN; then the final ERROR entry. Jumps land on the first entry of
 * a user chain, or on the next entry (a rule without a target; never with the goto flag).
 */
function checkChainLayout(
  entries: Uint8Array,
  view: DataView,
  offsets: number[],
  entryIndex: Map<number, number>,
  hookEntry: number[],
  underflow: number[],
  validHooks: number,
): void {
  const last = offsets.length - 1;
  const lastOffset = offsets[last] ?? 0;
  if (targetName(entries, lastOffset, view) !== XT_ERROR_TARGET)
    refuse(
      Errno.EINVAL,
      `entry ${last} at offset ${lastOffset}: the table must end with an ERROR entry`,
    );

  // Built-in chains, back to back.
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
      const o = offsets[i] ?? 0;
      if (targetName(entries, o, view) === XT_ERROR_TARGET)
        refuse(
          Errno.EINVAL,
          `hook ${h}: entry ${i} at offset ${o} is an ERROR entry inside a built-in chain`,
        );
    }
    expected = end + view.getUint16(end + IptEntryOffset.nextOffset, true);
  }

  // User chains: ERROR head, rules, unconditional RETURN tail.
  const chainStarts = new Set<number>();
  const names = new Set<string>();
  const firstUser = entryIndex.get(expected);
  if (firstUser === undefined)
    refuse(Errno.EINVAL, `offset ${expected}: no entry after the built-in chains`);
  let i: number = firstUser;
  while (i < last) {
    const head = offsets[i] ?? 0;
    if (targetName(entries, head, view) !== XT_ERROR_TARGET)
      refuse(
        Errno.EINVAL,
        `entry ${i} at offset ${head}: a user chain must start with an ERROR entry naming it`,
      );
    const name = readErrorName(entries, head + IPT_ENTRY_SIZE);
    if (name === '' || names.has(name))
      refuse(
        Errno.EINVAL,
        `entry ${i} at offset ${head}: user chain name "${name}" is empty or repeated`,
      );
    names.add(name);
    let j: number = i + 1;
    while (j < last && targetName(entries, offsets[j] ?? 0, view) !== XT_ERROR_TARGET) j++;
    const tail = offsets[j - 1] ?? 0;
    const tailVerdict = view.getInt32(tail + IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE, true);
    if (
      j - 1 === i ||
      !isUnconditional(entries, tail, view) ||
      targetName(entries, tail, view) !== XT_STANDARD_TARGET ||
      tailVerdict !== VERDICT_RETURN
    ) {
      refuse(
        Errno.EINVAL,
        `user chain "${name}" (entry ${i} at offset ${head}) must end with an unconditional RETURN entry`,
      );
    }
    chainStarts.add(offsets[i + 1] ?? 0);
    i = j;
  }

  offsets.forEach((o, index) => {
    if (targetName(entries, o, view) !== XT_STANDARD_TARGET) return;
    const verdict = view.getInt32(
      o + view.getUint16(o + IptEntryOffset.targetOffset, true) + XT_OBJECT_HEADER_SIZE,
      true,
    );
    if (verdict < 0) return;
    // A rule without a target: libiptc jumps to the very next entry (the kernel just walks on).
    if (verdict === o + view.getUint16(o + IptEntryOffset.nextOffset, true)) {
      const flags = entries[o + IptEntryOffset.flags] ?? 0;
      if (flags & IPT_F_GOTO)
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
