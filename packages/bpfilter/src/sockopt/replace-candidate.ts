/**
 * The table a SET_REPLACE request holds, built as the handler builds the table it keeps
 * (counters zero, `comefrom` from the handler's own `mark_source_chains`), with its digest.
 * The front end sends the replace as `UMD_CMD_REPLACE`: if the handler accepts and its
 * receipt carries the same digest, the candidate is what the handler holds and is kept as is,
 * with no read-back; any other digest is the handler's fault, and the previous table stays.
 */
import {
  EntryBlob,
  IPT_REPLACE_HEADER_SIZE,
  type IptGetinfo,
  NF_INET_NUMHOOKS,
  TABLE_DIGEST_SIZE,
  XT_COUNTERS_SIZE,
  XT_TABLE_MAXNAMELEN,
  decodeReplace,
  entryIndexOf,
  readCString,
  tableDigest,
} from '../abi/index.js';
import { copyEntriesToUser, zeroUncopied } from '../handler/copy-entries.js';
import { UNSET } from '../handler/translate-refusal.js';
import { markSourceChains } from '../handler/translate-source-chains.js';
import { recordOffsets, type TableSnapshot } from './table-snapshot.js';
import { markZeroGaps } from './zero-gaps.js';

/** A replaced table as the front end would keep it, and the digest the handler must send. */
export interface ReplaceCandidate {
  /** The table as GET_INFO and GET_ENTRIES (into zeros) would read it back. */
  snapshot: TableSnapshot;
  /** {@link tableDigest} of the table as the handler keeps it. */
  digest: Uint8Array;
  /** The old counters the reply carries before the digest. */
  numCounters: number;
}

/**
 * The candidate of a SET_REPLACE request (`ipt_replace` and entries); undefined when the
 * handler must refuse it anyway (too short, entries that do not chain, a loop): a receipt for
 * such a table can only be wrong.
 */
export function replaceCandidate(request: Uint8Array): ReplaceCandidate | undefined {
  if (request.length < IPT_REPLACE_HEADER_SIZE) return undefined;
  const replace = decodeReplace(request);
  const { size, validHooks, numEntries } = replace;
  if (replace.entries.length < size) return undefined;
  // A copy of its own whatever the request is: a Buffer's slice() would be a view of it (the
  // caller's memory, written below and kept), and one kind of array keeps V8's code of this
  // path the same for the service's Buffers and the warm-up's arrays.
  const kept = new Uint8Array(replace.entries);
  const blob = new EntryBlob(kept);
  try {
    const offsets = blob.offsets();
    if (offsets.length !== numEntries) return undefined;
    for (const offset of offsets) {
      blob.clearComefromAndCounters(offset);
    }
    const hookEntry = hooksOf(replace.hookEntry, validHooks);
    const underflow = hooksOf(replace.underflow, validHooks);
    if (markSourceChains(blob, validHooks, hookEntry, entryIndexOf(offsets)) !== undefined)
      return undefined;
    const name = readCString(request, 0, XT_TABLE_MAXNAMELEN - 1);
    const info: IptGetinfo = { name, validHooks, hookEntry, underflow, numEntries, size };
    const digest = tableDigest(info, kept);
    // The digest is of the table as the handler keeps it; then that copy becomes the one the
    // front end keeps (as GET_ENTRIES writes it into zeros), in place when it can.
    let entries = kept;
    if (!zeroUncopied(kept, offsets)) {
      entries = new Uint8Array(size);
      copyEntriesToUser(kept, offsets, entries);
    }
    const snapshot = { info, entries };
    markZeroGaps(snapshot);
    // Either copy keeps the request's layout: its entries start where the request's do.
    recordOffsets(snapshot, offsets);
    return { snapshot, digest, numCounters: replace.numCounters };
  } catch {
    // Bytes no handler accepts (a target past its entry): only the handler can say why.
    return undefined;
  }
}

/**
 * The old counters of an `UMD_CMD_REPLACE` reply whose digest is `candidate`'s; undefined
 * when the reply is not the receipt of that table.
 */
export function receiptCounters(
  candidate: ReplaceCandidate | undefined,
  reply: Uint8Array,
): Uint8Array | undefined {
  if (candidate === undefined) return undefined;
  const counters = candidate.numCounters * XT_COUNTERS_SIZE;
  if (reply.length !== counters + TABLE_DIGEST_SIZE) return undefined;
  const digest = Buffer.from(reply.buffer, reply.byteOffset + counters, TABLE_DIGEST_SIZE);
  return digest.equals(candidate.digest) ? reply.subarray(0, counters) : undefined;
}

/** The kernel keeps a hook's offset only for the valid hooks (`translate_table`). */
function hooksOf(
  hooks: readonly number[],
  validHooks: number,
): [number, number, number, number, number] {
  const out: [number, number, number, number, number] = [UNSET, UNSET, UNSET, UNSET, UNSET];
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) if (validHooks & (1 << h)) out[h] = hooks[h] ?? UNSET;
  return out;
}
