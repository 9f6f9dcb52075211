/**
 * A committed table as the handler last acknowledged it, and the two directions:
 * capture it from a handler (GET_INFO + GET_ENTRIES) and put it back into a fresh one
 * (SET_REPLACE, then SET_ADD_COUNTERS with the counters it had). This is how tables outlive
 * the handler process.
 */
import { UmdError, UmdErrorCode } from '@umd/core';
import {
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
} from '../abi/constants.js';
import { copyBytes, viewOf } from '../abi/bytes.js';
import { EntryBlob } from '../abi/entry-blob.js';
import { decodeMboxReply, encodeMboxRequest } from '../abi/mbox.js';
import {
  decodeGetinfo,
  encodeCountersInfo,
  encodeGetEntriesRequest,
  encodeReplace,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_GETINFO_SIZE,
  type IptGetinfo,
  type XtCounters,
  XT_COUNTERS_SIZE,
  XT_TABLE_MAXNAMELEN,
} from '../abi/table-structs.js';

/** Sends one handler request (mbox header + bytes) and returns the raw reply. */
export type SendRequest = (request: Uint8Array) => Promise<Uint8Array>;

/** One table as the handler held it after the last acknowledged change. */
export interface TableSnapshot {
  /** The table's `ipt_getinfo` (hooks, underflows, entry count, size). */
  readonly info: IptGetinfo;
  /** The entries exactly as GET_ENTRIES returned them, counters included. */
  readonly entries: Uint8Array;
}

/** Sends a request and returns `{ status, body }`; a malformed reply is a protocol fault. */
export function exchange(
  send: SendRequest,
  request: Parameters<typeof encodeMboxRequest>[0],
): Promise<{ status: number; body: Uint8Array }> {
  return exchangeEncoded(send, encodeMboxRequest(request));
}

/** {@link exchange} of a request already encoded (mbox header and bytes). */
export async function exchangeEncoded(
  send: SendRequest,
  request: Uint8Array,
): Promise<{ status: number; body: Uint8Array }> {
  const reply = decodeMboxReply(await send(request));
  if (reply === undefined)
    throw new UmdError(
      UmdErrorCode.PROTOCOL,
      'bpfilter: the handler sent a reply shorter than its 4-byte status',
    );
  return reply;
}

function tableNameField(name: string): Uint8Array {
  const field = new Uint8Array(IPT_GETINFO_SIZE);
  for (let i = 0; i < name.length && i < XT_TABLE_MAXNAMELEN - 1; i++)
    field[i] = name.charCodeAt(i) & 0xff;
  return field;
}

function failed(step: string, table: string, status: number): UmdError {
  return new UmdError(
    UmdErrorCode.PROTOCOL,
    `bpfilter: ${step} of table "${table}" answered ${status}`,
    { handlerName: 'bpfilter', handlerCode: status },
  );
}

/** GET_INFO for `name`: the table's `ipt_getinfo`, or `undefined` with the status if it failed. */
export async function getInfo(
  send: SendRequest,
  name: string,
  pid = 0,
): Promise<{ status: number; info?: IptGetinfo }> {
  const { status, body } = await exchange(send, {
    isSet: false,
    cmd: IPT_SO_GET_INFO,
    data: tableNameField(name),
    pid,
  });
  if (status !== 0) return { status };
  return { status, info: infoOfAnswer(name, body) };
}

/**
 * The `ipt_getinfo` of a GET_INFO answer for table `name`.
 * @throws UmdError `UMD_PROTOCOL` when the answer is shorter.
 */
export function infoOfAnswer(name: string, answer: Uint8Array): IptGetinfo {
  if (answer.length < IPT_GETINFO_SIZE)
    throw new UmdError(
      UmdErrorCode.PROTOCOL,
      `bpfilter: GET_INFO of "${name}" returned ${answer.length} bytes`,
    );
  return decodeGetinfo(answer);
}

/** Reads a table from the handler: GET_INFO, then GET_ENTRIES of exactly its size. */
export async function captureTable(send: SendRequest, name: string): Promise<TableSnapshot> {
  const { status, info } = await getInfo(send, name);
  if (info === undefined) throw failed('GET_INFO', name, status);
  return { info, entries: await readEntries(send, info) };
}

/**
 * Re-reads the entries of a table whose layout cannot have changed (only its counters did:
 * SET_ADD_COUNTERS, a classification): GET_ENTRIES alone, one round trip fewer.
 */
export async function refreshCounters(
  send: SendRequest,
  snapshot: TableSnapshot,
): Promise<TableSnapshot> {
  return { info: snapshot.info, entries: await readEntries(send, snapshot.info) };
}

async function readEntries(send: SendRequest, info: IptGetinfo): Promise<Uint8Array> {
  const { name } = info;
  const entries = await exchange(send, {
    isSet: false,
    cmd: IPT_SO_GET_ENTRIES,
    data: encodeGetEntriesRequest(name, info.size),
    len: IPT_GET_ENTRIES_HEADER_SIZE + info.size,
  });
  if (entries.status !== 0) throw failed('GET_ENTRIES', name, entries.status);
  return copyBytes(entriesOfAnswer(name, entries.body, info.size));
}

/**
 * The entries of a GET_ENTRIES answer (`ipt_get_entries` header + entries) for `size` bytes.
 * @throws UmdError `UMD_PROTOCOL` when the answer holds fewer.
 */
export function entriesOfAnswer(name: string, answer: Uint8Array, size: number): Uint8Array {
  const entries = answer.subarray(IPT_GET_ENTRIES_HEADER_SIZE, IPT_GET_ENTRIES_HEADER_SIZE + size);
  if (entries.length !== size)
    throw new UmdError(
      UmdErrorCode.PROTOCOL,
      `bpfilter: GET_ENTRIES of "${name}" returned ${entries.length} of ${size} bytes`,
    );
  return entries;
}

/**
 * Byte offset of each entry of an entry blob, in entry order.
 * @throws RangeError for a `next_offset` of 0 or one that runs past the blob.
 */
export function entryOffsets(entries: Uint8Array): number[] {
  return new EntryBlob(entries).offsets();
}

const offsetsOf = new WeakMap<TableSnapshot, readonly number[]>();

/** {@link entryOffsets} of a snapshot's entries, found once per snapshot (its layout is fixed). */
export function snapshotOffsets(snapshot: TableSnapshot): readonly number[] {
  let offsets = offsetsOf.get(snapshot);
  if (!offsets) {
    offsets = entryOffsets(snapshot.entries);
    offsetsOf.set(snapshot, offsets);
  }
  return offsets;
}

/**
 * Records `offsets` as {@link snapshotOffsets} of `snapshot`, whose entries start there: a
 * table built from a request that was walked already (the replace's candidate), so the
 * SET_ADD_COUNTERS that follows a restore's SET_REPLACE does not walk its entries again.
 */
export function recordOffsets(snapshot: TableSnapshot, offsets: readonly number[]): void {
  offsetsOf.set(snapshot, offsets);
}

/** A counter's new total, by entry index. */
export interface CounterUpdate {
  entry: number;
  packets: bigint;
  bytes: bigint;
}

/**
 * Writes counters the handler reported (new totals) into the kept entries, in place: what
 * a read-back would have fetched, without the round trip.
 * @throws RangeError for an entry the snapshot does not have.
 */
export function setSnapshotCounters(
  snapshot: TableSnapshot,
  updates: Iterable<CounterUpdate>,
): void {
  const offsets = snapshotOffsets(snapshot);
  const blob = new EntryBlob(snapshot.entries);
  for (const { entry, packets, bytes } of updates) {
    const offset = offsets[entry];
    if (offset === undefined)
      throw new RangeError(`no entry ${entry} in table "${snapshot.info.name}"`);
    blob.setCounters(offset, packets, bytes);
  }
}

/**
 * `snapshot` with the i-th of `adds` (`xt_counters`, as SET_ADD_COUNTERS carries them) added to
 * entry i's counters (u64, wrapping), as the handler adds an acknowledged SET_ADD_COUNTERS: a
 * copy, so that whoever holds the old snapshot (a rollback, a state write under way) keeps it
 * as it was; `snapshot` itself when every counter added is zero (as after most replaces).
 * @throws RangeError when `adds` is not one counter per entry.
 */
export function withAddedCounters(snapshot: TableSnapshot, adds: Uint8Array): TableSnapshot {
  const offsets = snapshotOffsets(snapshot);
  if (adds.length !== offsets.length * XT_COUNTERS_SIZE)
    throw new RangeError(
      `${adds.length / XT_COUNTERS_SIZE} counters for ${offsets.length} entries`,
    );
  const add = viewOf(adds);
  let blob: EntryBlob | undefined;
  // A loop, not forEach: no closure called per entry (5,000 a restore's SET_ADD_COUNTERS).
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets[i]!;
    const at = i * XT_COUNTERS_SIZE;
    // Zeros (most counters a replace's SET_ADD_COUNTERS carries) change nothing: no BigInt.
    if (
      (add.getUint32(at) |
        add.getUint32(at + 4) |
        add.getUint32(at + 8) |
        add.getUint32(at + 12)) ===
      0
    )
      continue;
    blob ??= new EntryBlob(copyBytes(snapshot.entries));
    const { packets, bytes } = blob.counters(offset);
    blob.setCounters(
      offset,
      BigInt.asUintN(64, packets + add.getBigUint64(at, true)),
      BigInt.asUintN(64, bytes + add.getBigUint64(at + 8, true)),
    );
  }
  if (blob === undefined) return snapshot;
  const added = { info: snapshot.info, entries: blob.bytes };
  // Only counters changed: the entries start where they did.
  offsetsOf.set(added, offsets);
  return added;
}

/** The per-entry counters stored in an entry blob, in entry order. */
export function entryCounters(entries: Uint8Array): XtCounters[] {
  const blob = new EntryBlob(entries);
  return blob.offsets().map((offset) => blob.counters(offset));
}

/**
 * Puts `snapshot` into a handler that lost it: SET_REPLACE (sized against the table the
 * handler has now), SET_ADD_COUNTERS with the saved counters, then GET_ENTRIES to check that
 * the handler holds exactly the saved bytes. Throws if any step fails: a handler that cannot
 * take back its tables must not take requests.
 */
export async function restoreTable(send: SendRequest, snapshot: TableSnapshot): Promise<void> {
  const { name } = snapshot.info;
  const current = await getInfo(send, name);
  if (current.info === undefined) throw failed('GET_INFO (restore)', name, current.status);
  const replace = encodeReplace({
    name,
    validHooks: snapshot.info.validHooks,
    numEntries: snapshot.info.numEntries,
    size: snapshot.info.size,
    hookEntry: snapshot.info.hookEntry,
    underflow: snapshot.info.underflow,
    numCounters: current.info.numEntries,
    countersPointer: 0n,
    entries: snapshot.entries,
  });
  const replaced = await exchange(send, { isSet: true, cmd: IPT_SO_SET_REPLACE, data: replace });
  if (replaced.status !== 0) throw failed('SET_REPLACE (restore)', name, replaced.status);
  const counters = entryCounters(snapshot.entries);
  if (counters.some((c) => c.packets !== 0n || c.bytes !== 0n)) {
    const added = await exchange(send, {
      isSet: true,
      cmd: IPT_SO_SET_ADD_COUNTERS,
      data: encodeCountersInfo({ name, counters }),
    });
    if (added.status !== 0) throw failed('SET_ADD_COUNTERS (restore)', name, added.status);
  }
  const check = await captureTable(send, name);
  if (!sameBytes(check.entries, snapshot.entries)) {
    throw new UmdError(
      UmdErrorCode.PROTOCOL,
      `bpfilter: table "${name}" read back after restore differs from the saved one`,
    );
  }
}

/** Byte equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
