/**
 * A SET_REPLACE's table compiled from the request while the handler checks it, so that the
 * compile and the check run at once (the handler is another process). The result is used only
 * for the table the handler then holds: same name, hooks and entries, but for what the handler
 * fills in itself (each entry's `comefrom` and counters). Anything else is compiled again from
 * the table read back, so what is enforced is always what the handler accepted.
 */
import {
  IPT_REPLACE_HEADER_SIZE,
  IptEntryOffset,
  IPT_ENTRY_SIZE,
  NF_INET_NUMHOOKS,
  decodeReplace,
  readU16,
} from '../abi/index.js';
import type { CompiledTable, TableEntries } from './compile-table.js';

/**
 * Compiles `table`; `give`: its entries' memory is the compile's to take (moved into the
 * compile worker rather than copied there).
 */
export type Compile = (table: TableEntries, give: boolean) => Promise<CompiledTable>;

/** A compile started from a SET_REPLACE request. */
export interface EarlyCompile {
  /** The table as the request holds it (a view of the request, read while the replace runs). */
  table: TableEntries;
  /** Its compiled form; undefined if it failed (the table read back is compiled then). */
  compiled: Promise<CompiledTable | undefined>;
}

/** The table a SET_REPLACE request (`ipt_replace` + entries) holds, if it is one. */
export function tableOfReplace(request: Uint8Array): TableEntries | undefined {
  if (request.length < IPT_REPLACE_HEADER_SIZE) return undefined;
  const { name, validHooks, hookEntry, underflow, size, entries } = decodeReplace(request);
  if (entries.length < size) return undefined;
  return { name, layout: { validHooks, hookEntry, underflow }, entries };
}

/** Starts compiling the table of `request` with `compile`; undefined if it holds none. */
export function compileEarly(request: Uint8Array, compile: Compile): EarlyCompile | undefined {
  const table = tableOfReplace(request);
  if (table === undefined) return undefined;
  // Copied (the caller's buffer is not ours to keep), and the copy given to the compile: one
  // copy of the entries, where a clone into the worker was a second one.
  // (A Uint8Array of its own: a Buffer's slice would be a view.)
  const copy = { ...table, entries: new Uint8Array(table.entries) };
  return { table, compiled: compile(copy, true).catch(() => undefined) };
}

/**
 * Whether `kept` is the table `early` was compiled from: same name, the same entry and
 * underflow of each valid hook, the same entries byte for byte except `comefrom` and counters.
 */
export function sameTable(early: TableEntries, kept: TableEntries): boolean {
  if (early.name !== kept.name) return false;
  const a = early.layout;
  const b = kept.layout;
  if (a.validHooks !== b.validHooks) return false;
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(a.validHooks & (1 << h))) continue;
    if (a.hookEntry[h] !== b.hookEntry[h] || a.underflow[h] !== b.underflow[h]) return false;
  }
  return sameRules(early.entries, kept.entries);
}

/** Entry blobs equal but for each entry's `comefrom` and counters (which the handler sets). */
export function sameRules(x: Uint8Array, y: Uint8Array): boolean {
  if (x.length !== y.length) return false;
  const a = asBuffer(x);
  const b = asBuffer(y);
  const sameBytes = (from: number, to: number) => a.compare(b, from, to, from, to) === 0;
  let offset = 0;
  while (offset < x.length) {
    if (offset + IPT_ENTRY_SIZE > x.length) return false;
    const next = readU16(x, offset + IptEntryOffset.nextOffset);
    if (next < IPT_ENTRY_SIZE || offset + next > x.length) return false;
    if (!sameBytes(offset, offset + IptEntryOffset.comefrom)) return false;
    if (!sameBytes(offset + IPT_ENTRY_SIZE, offset + next)) return false;
    offset += next;
  }
  return true;
}

/** A Buffer over the same memory (its `compare` takes ranges: no view per range). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
