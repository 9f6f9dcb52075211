/**
 * The umd CLASSIFY_BATCH command (format in `abi/classify-batch.ts`): many packets through
 * one hook of one table in one request. Each packet is classified as CLASSIFY would classify
 * it, in order (a packet's MARK is its own; counters accumulate across the batch); the reply
 * carries each packet's verdict and deciding rule, and the new totals of every counter the
 * batch changed (the front end keeps them without reading the table back). LOG events are
 * not reported (CLASSIFY reports them).
 */
import {
  BATCH_CHAIN_NAME_SIZE,
  BATCH_COUNTER_SIZE,
  BATCH_FLAG_FRAGMENT,
  BATCH_HEADER_SIZE,
  BATCH_IFNAME_SIZE,
  BATCH_MAX_PACKETS,
  BATCH_RECORD_SIZE,
  BATCH_REPLY_MAGIC,
  BATCH_REQUEST_MAGIC,
  BATCH_RESULT_SIZE,
  BatchRecord as R,
} from '../abi/classify-batch.js';
import { Errno, readCString, REJECT_WITH, viewOf, writeCString } from '../abi/index.js';
import {
  CANNOT_EVALUATE,
  type CompiledChain,
  type CompiledTable,
  type Packet,
  Walker,
} from './classify/index.js';
import { compiledTableOf } from './compiled-tables.js';
import type { LiveTable, TableStore } from './table-store.js';

const walker = new Walker();

/** Answer a CLASSIFY_BATCH request. */
export function classifyBatchCommand(
  store: TableStore,
  request: Uint8Array,
): { status: number; body?: Uint8Array; message?: string } {
  const bad = (message: string) => ({
    status: -Errno.EINVAL,
    message: `CLASSIFY_BATCH: ${message}`,
  });
  if (request.length < BATCH_HEADER_SIZE) return bad('shorter than its header');
  const view = viewOf(request);
  if (view.getUint32(0, true) !== BATCH_REQUEST_MAGIC) return bad('bad magic');
  const count = view.getUint32(4, true);
  const ifCount = view.getUint16(56, true);
  const localCount = view.getUint16(58, true);
  if (view.getUint32(60, true) !== BATCH_RECORD_SIZE) return bad('unknown record size');
  if (count > BATCH_MAX_PACKETS) return bad(`more than ${BATCH_MAX_PACKETS} packets`);
  const recordsAt = BATCH_HEADER_SIZE + ifCount * BATCH_IFNAME_SIZE + localCount * 4;
  if (request.length !== recordsAt + count * BATCH_RECORD_SIZE)
    return bad(`${request.length} bytes do not hold ${count} packets`);
  let time = view.getFloat64(64, true);
  if (!Number.isFinite(time) || time < 0) return bad('time is not a number of ms >= 0');
  if (time === 0) time = Date.now();
  const tableName = readCString(request, 8, 32);
  const hookName = readCString(request, 40, 16);
  const live = store.get(tableName);
  if (!live) return { status: -Errno.ENOENT, message: `CLASSIFY_BATCH: no table "${tableName}"` };
  const table = compiledTableOf(live);
  const hook = table.byName.get(hookName);
  if (!hook || hook.policy < 0)
    return bad(`table "${tableName}" has no built-in chain "${hookName}"`);
  const names = [''];
  for (let k = 0; k < ifCount; k++) {
    const name = readCString(request, BATCH_HEADER_SIZE + k * BATCH_IFNAME_SIZE, BATCH_IFNAME_SIZE);
    names.push(name);
  }
  const local = new Set<number>();
  const localAt = BATCH_HEADER_SIZE + ifCount * BATCH_IFNAME_SIZE;
  for (let k = 0; k < localCount; k++) local.add(view.getUint32(localAt + 4 * k, true));

  for (let n = 0; n < count; n++) {
    const at = recordsAt + n * BATCH_RECORD_SIZE;
    const inIf = view.getUint16(at + R.inInterface, true);
    const outIf = view.getUint16(at + R.outInterface, true);
    if (inIf > ifCount || outIf > ifCount)
      return bad(`packet ${n}: no interface ${Math.max(inIf, outIf)}`);
  }
  const tally = classifyRecords(table, hook, request, recordsAt, count, names, local, time);
  return { status: 0, body: replyOf(live, table, tally) };
}

interface Tally {
  /** Per-entry deltas of this batch (exact: far below 2^53). */
  packets: Float64Array;
  bytes: Float64Array;
  /** Entries with a delta, unordered. */
  touched: number[];
  results: Uint8Array;
}

/** Classifies every record (already checked) in order; counts into a tally, not the table. */
function classifyRecords(
  table: CompiledTable,
  hook: CompiledChain,
  request: Uint8Array,
  recordsAt: number,
  count: number,
  names: readonly string[],
  local: ReadonlySet<number>,
  time: number,
): Tally {
  const view = viewOf(request);
  const entries = table.entryCount;
  const packets = new Float64Array(entries);
  const bytes = new Float64Array(entries);
  const touched: number[] = [];
  const results = new Uint8Array(count * BATCH_RESULT_SIZE);
  const out = viewOf(results);
  const packet = emptyPacket(local, time);
  for (let n = 0; n < count; n++) {
    readRecord(view, request, recordsAt + n * BATCH_RECORD_SIZE, names, packet);
    const verdict = walker.run(table, hook, packet);
    const o = n * BATCH_RESULT_SIZE;
    const rule = walker.rule;
    results[o] = verdict === CANNOT_EVALUATE ? 4 : verdict;
    results[o + 1] =
      rule === null || rule.rejectWith === undefined ? 255 : REJECT_WITH.indexOf(rule.rejectWith);
    out.setUint16(o + 2, walker.chain.index, true);
    out.setUint32(o + 4, rule === null ? 0 : rule.rule, true);
    if (verdict === CANNOT_EVALUATE) continue; // as CLASSIFY: nothing counted
    const hits = walker.hits;
    for (let h = 0; h < walker.hitCount; h++) {
      const entry = hits[h]!;
      if (packets[entry] === 0) touched.push(entry);
      packets[entry]! += 1;
      bytes[entry]! += packet.length;
    }
  }
  return { packets, bytes, touched, results };
}

function readRecord(
  view: DataView,
  bytes: Uint8Array,
  at: number,
  names: readonly string[],
  packet: Packet,
): void {
  packet.source = view.getUint32(at + R.source, true);
  packet.destination = view.getUint32(at + R.destination, true);
  packet.sourcePort = view.getUint16(at + R.sourcePort, true);
  packet.destinationPort = view.getUint16(at + R.destinationPort, true);
  packet.length = view.getUint16(at + R.length, true);
  packet.protocol = bytes[at + R.protocol]!;
  packet.tcpFlags = bytes[at + R.tcpFlags]!;
  packet.icmpType = bytes[at + R.icmpType]!;
  packet.icmpCode = bytes[at + R.icmpCode]!;
  packet.fragment = (bytes[at + R.flags]! & BATCH_FLAG_FRAGMENT) !== 0;
  packet.inInterface = names[view.getUint16(at + R.inInterface, true)]!;
  packet.outInterface = names[view.getUint16(at + R.outInterface, true)]!;
  packet.mark = view.getUint32(at + R.mark, true);
  packet.connmark = view.getUint32(at + R.connmark, true);
  packet.ctState = view.getUint16(at + R.ctState, true);
  packet.ctStatus = view.getUint32(at + R.ctStatus, true);
  packet.tcpOptionBits = view.getUint32(at + R.tcpOptions, true);
}

function emptyPacket(local: ReadonlySet<number>, time: number): Packet {
  return {
    source: 0,
    destination: 0,
    protocol: 0,
    sourcePort: 0,
    destinationPort: 0,
    inInterface: '',
    outInterface: '',
    tcpFlags: 0,
    tcpOptions: [],
    tcpOptionBits: 0,
    icmpType: 0,
    icmpCode: 0,
    fragment: false,
    length: 0,
    mark: 0,
    connmark: 0,
    ctState: 0,
    ctStatus: 0,
    local,
    time,
    interfaceAddresses: new Map(),
  };
}

/** Folds the tally into the table's u64 counters and lays out the reply. */
function replyOf(live: LiveTable, table: CompiledTable, tally: Tally): Uint8Array {
  const { packets, bytes, results } = tally;
  const touched = tally.touched;
  const count = results.length / BATCH_RESULT_SIZE;
  touched.sort((a, b) => a - b);
  const chains = table.chains;
  const countersAt = 16;
  const resultsAt = countersAt + touched.length * BATCH_COUNTER_SIZE;
  const namesAt = resultsAt + results.length;
  const body = new Uint8Array(namesAt + chains.length * BATCH_CHAIN_NAME_SIZE);
  const reply = viewOf(body);
  reply.setUint32(0, BATCH_REPLY_MAGIC, true);
  reply.setUint32(4, count, true);
  reply.setUint32(8, touched.length, true);
  reply.setUint32(12, chains.length, true);
  touched.forEach((entry, k) => {
    const p = BigInt.asUintN(64, (live.counters[2 * entry] ?? 0n) + BigInt(packets[entry]!));
    const b = BigInt.asUintN(64, (live.counters[2 * entry + 1] ?? 0n) + BigInt(bytes[entry]!));
    live.counters[2 * entry] = p;
    live.counters[2 * entry + 1] = b;
    const at = countersAt + k * BATCH_COUNTER_SIZE;
    reply.setUint32(at, entry, true);
    reply.setBigUint64(at + 4, p, true);
    reply.setBigUint64(at + 12, b, true);
  });
  body.set(results, resultsAt);
  chains.forEach((chain, k) =>
    writeCString(body, namesAt + k * BATCH_CHAIN_NAME_SIZE, BATCH_CHAIN_NAME_SIZE, chain.name),
  );
  return body;
}
