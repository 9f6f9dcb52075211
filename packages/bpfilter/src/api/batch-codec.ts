/**
 * The API side of CLASSIFY_BATCH: packet descriptions into the binary request, the binary
 * reply into results (formats in `abi/classify-batch.ts`).
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
  BATCH_VERDICTS,
  type BatchVerdict,
  BatchRecord as R,
} from '../abi/classify-batch.js';
import {
  parseIpv4,
  readCString,
  REJECT_WITH,
  type RejectWith,
  viewOf,
  writeCString,
} from '../abi/index.js';
import { parsePacket } from '../handler/classify/packet.js';
import type { RulePosition } from '../handler/classify/engine.js';
import type { PacketDescription } from './classify-types.js';

/** Options of a batch: what all its packets share. */
export interface BatchOptions {
  /** This host's addresses (`-m addrtype ... LOCAL`), besides 127.0.0.0/8. */
  localAddresses?: readonly string[];
  /** When the packets arrive, ms since the epoch (`-m limit`). Default: the handler's clock. */
  time?: number;
}

/** One packet's outcome in a batch. */
export interface BatchResult {
  verdict: BatchVerdict;
  rejectWith?: RejectWith;
  /** The rule (1-based) or policy that decided, or the rule that could not be evaluated. */
  rule: RulePosition;
}

/**
 * Encodes a CLASSIFY_BATCH request.
 * @throws RangeError naming the packet and field that cannot be sent.
 */
export function encodeBatch(
  table: string,
  hook: string,
  packets: readonly PacketDescription[],
  options: BatchOptions = {},
): Uint8Array {
  if (table.length === 0 || table.length > 31) throw new RangeError(`bad table name "${table}"`);
  if (hook.length === 0 || hook.length > 15) throw new RangeError(`bad hook name "${hook}"`);
  if (packets.length > BATCH_MAX_PACKETS)
    throw new RangeError(`a batch holds at most ${BATCH_MAX_PACKETS} packets`);
  const interfaces = new Map<string, number>();
  const local = (options.localAddresses ?? []).map((a) => parseIpv4(a));
  const time = options.time ?? 0;
  if (!Number.isFinite(time) || time < 0) throw new RangeError('time must be ms since the epoch');
  const records = new Uint8Array(packets.length * BATCH_RECORD_SIZE);
  const view = viewOf(records);
  const interfaceIndex = (name: string) => {
    if (name === '') return 0;
    let index = interfaces.get(name);
    if (index === undefined) {
      index = interfaces.size + 1;
      interfaces.set(name, index);
    }
    return index;
  };
  packets.forEach((input, n) => {
    const at = n * BATCH_RECORD_SIZE;
    try {
      if (input?.time !== undefined || input?.localAddresses !== undefined)
        throw new RangeError('time and localAddresses are options of the whole batch');
      const p = parsePacket(input);
      if (p.tcpOptions.some((o) => o >= 32))
        throw new RangeError('a batch carries TCP option kinds below 32 only');
      view.setUint32(at + R.source, p.source, true);
      view.setUint32(at + R.destination, p.destination, true);
      view.setUint16(at + R.sourcePort, p.sourcePort, true);
      view.setUint16(at + R.destinationPort, p.destinationPort, true);
      view.setUint16(at + R.length, p.length, true);
      records[at + R.protocol] = p.protocol;
      records[at + R.tcpFlags] = p.tcpFlags;
      records[at + R.icmpType] = p.icmpType;
      records[at + R.icmpCode] = p.icmpCode;
      records[at + R.flags] = p.fragment ? BATCH_FLAG_FRAGMENT : 0;
      view.setUint16(at + R.inInterface, interfaceIndex(p.inInterface), true);
      view.setUint16(at + R.outInterface, interfaceIndex(p.outInterface), true);
      view.setUint32(at + R.mark, p.mark, true);
      view.setUint32(at + R.connmark, p.connmark, true);
      view.setUint16(at + R.ctState, p.ctState, true);
      view.setUint32(at + R.ctStatus, p.ctStatus, true);
      view.setUint32(at + R.tcpOptions, p.tcpOptionBits, true);
    } catch (error) {
      throw new RangeError(`packet ${n}: ${(error as Error).message}`);
    }
  });
  if (interfaces.size > 0xffff) throw new RangeError('more than 65535 interface names');
  const recordsAt = BATCH_HEADER_SIZE + interfaces.size * BATCH_IFNAME_SIZE + local.length * 4;
  const bytes = new Uint8Array(recordsAt + records.length);
  const header = viewOf(bytes);
  header.setUint32(0, BATCH_REQUEST_MAGIC, true);
  header.setUint32(4, packets.length, true);
  writeCString(bytes, 8, 32, table);
  writeCString(bytes, 40, 16, hook);
  header.setUint16(56, interfaces.size, true);
  header.setUint16(58, local.length, true);
  header.setUint32(60, BATCH_RECORD_SIZE, true);
  header.setFloat64(64, time, true);
  for (const [name, index] of interfaces)
    writeCString(
      bytes,
      BATCH_HEADER_SIZE + (index - 1) * BATCH_IFNAME_SIZE,
      BATCH_IFNAME_SIZE,
      name,
    );
  local.forEach((address, k) =>
    header.setUint32(
      BATCH_HEADER_SIZE + interfaces.size * BATCH_IFNAME_SIZE + 4 * k,
      address,
      true,
    ),
  );
  bytes.set(records, recordsAt);
  return bytes;
}

/**
 * Decodes a CLASSIFY_BATCH reply into one result per packet.
 * @throws RangeError for a reply that does not hold what its header says.
 */
export function decodeBatchReply(body: Uint8Array): BatchResult[] {
  const view = viewOf(body);
  if (body.length < 16 || view.getUint32(0, true) !== BATCH_REPLY_MAGIC)
    throw new RangeError('not a CLASSIFY_BATCH reply');
  const count = view.getUint32(4, true);
  const resultsAt = 16 + view.getUint32(8, true) * BATCH_COUNTER_SIZE;
  const namesAt = resultsAt + count * BATCH_RESULT_SIZE;
  const chainCount = view.getUint32(12, true);
  if (body.length !== namesAt + chainCount * BATCH_CHAIN_NAME_SIZE)
    throw new RangeError('CLASSIFY_BATCH reply of the wrong size');
  const chains = Array.from({ length: chainCount }, (_, k) =>
    readCString(body, namesAt + k * BATCH_CHAIN_NAME_SIZE, BATCH_CHAIN_NAME_SIZE),
  );
  const results: BatchResult[] = new Array(count);
  for (let n = 0; n < count; n++) {
    const at = resultsAt + n * BATCH_RESULT_SIZE;
    const verdict = BATCH_VERDICTS[body[at]!];
    const chain = chains[view.getUint16(at + 2, true)];
    if (verdict === undefined || chain === undefined)
      throw new RangeError(`CLASSIFY_BATCH reply: bad result ${n}`);
    const rule = view.getUint32(at + 4, true);
    const result: BatchResult = {
      verdict,
      rule: rule === 0 ? { chain, policy: true } : { chain, rule },
    };
    const rejectWith = REJECT_WITH[body[at + 1]!];
    if (rejectWith !== undefined) result.rejectWith = rejectWith;
    results[n] = result;
  }
  return results;
}
