/**
 * The umd CLASSIFY command. Request (is_set 0, cmd UMD_CMD_CLASSIFY): UTF-8 JSON
 * `{ "table": "filter", "hook": "INPUT", "packet": PacketInput }`.
 * Reply: status 0 and UTF-8 JSON {@link ClassifyReply}; -ENOENT for an unknown table,
 * -EINVAL for a malformed request. Like the kernel, a decided packet updates the counters
 * of every rule it matched (packets +1, bytes + length); a CANNOT_EVALUATE answer changes
 * nothing.
 */
import { Errno, type RejectWith } from '../abi/index.js';
import {
  classifyCompiled,
  type LogEvent,
  type NatTranslation,
  parsePacket,
  type RulePosition,
} from './classify/index.js';
import { compiledTableOf } from './compiled-tables.js';
import type { TableStore } from './table-store.js';

/** A counter after the update. */
export interface UpdatedCounter extends RulePosition {
  packets: number;
  bytes: number;
}

/** The JSON body of a CLASSIFY reply. */
export interface ClassifyReply {
  verdict: 'ACCEPT' | 'DROP' | 'QUEUE' | 'REJECT' | 'CANNOT_EVALUATE';
  rejectWith?: RejectWith;
  /** ACCEPT by a nat target (nat table): the translation a new connection gets. */
  nat?: NatTranslation;
  /** The rule (1-based) or policy that decided, or the rule that could not be evaluated. */
  rule: RulePosition;
  /** For CANNOT_EVALUATE: the extension and why. */
  cannotEvaluate?: { kind: 'match' | 'target'; name: string; reason: string };
  logs: LogEvent[];
  /** The counters this packet updated, with their new totals (empty for CANNOT_EVALUATE). */
  counters: UpdatedCounter[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Answer a CLASSIFY request. */
export function classifyCommand(
  store: TableStore,
  json: Uint8Array,
): { status: number; body?: Uint8Array; message?: string } {
  let request: { table?: unknown; hook?: unknown; packet?: unknown };
  try {
    request = JSON.parse(decoder.decode(json)) as typeof request;
    if (typeof request !== 'object' || request === null) throw new Error('not an object');
  } catch (error) {
    return {
      status: -Errno.EINVAL,
      message: `CLASSIFY: request is not a JSON object (${(error as Error).message})`,
    };
  }
  if (typeof request.table !== 'string' || typeof request.hook !== 'string')
    return { status: -Errno.EINVAL, message: 'CLASSIFY: "table" and "hook" must be strings' };
  const live = store.get(request.table);
  if (!live) return { status: -Errno.ENOENT, message: `CLASSIFY: no table "${request.table}"` };
  let result;
  let packet;
  try {
    packet = parsePacket(request.packet);
    result = classifyCompiled(compiledTableOf(live), request.hook, packet);
  } catch (error) {
    if (error instanceof RangeError)
      return { status: -Errno.EINVAL, message: `CLASSIFY: ${error.message}` };
    throw error;
  }
  const reply: ClassifyReply = {
    verdict: result.verdict,
    rule: result.decidedBy,
    logs: result.logs,
    counters: [],
  };
  if (result.verdict === 'CANNOT_EVALUATE') {
    reply.cannotEvaluate = { ...result.extension, reason: result.reason };
  } else {
    if (result.rejectWith) reply.rejectWith = result.rejectWith;
    if (result.nat) reply.nat = result.nat;
    const length = BigInt(packet.length);
    for (const { entry, position } of result.matchedEntries) {
      live.counters[2 * entry] = (live.counters[2 * entry] ?? 0n) + 1n;
      live.counters[2 * entry + 1] = (live.counters[2 * entry + 1] ?? 0n) + length;
      reply.counters.push({
        ...position,
        packets: Number(live.counters[2 * entry]),
        bytes: Number(live.counters[2 * entry + 1]),
      });
    }
  }
  return { status: 0, body: encoder.encode(JSON.stringify(reply)) };
}
