/**
 * CLASSIFY_BATCH against the handler core: the same counters as a real kernel after the
 * same packets (classify.json), the same answers as one CLASSIFY per packet, and malformed
 * batches refused whole (nothing counted).
 */
import { describe, expect, it } from 'vitest';
import { UMD_CMD_CLASSIFY_BATCH, viewOf } from '../src/abi/index.js';
import { decodeBatchReply, encodeBatch } from '../src/api/batch-codec.js';
import type { PacketInput } from '../src/handler/classify/index.js';
import { createHandlerCore, type HandlerCore } from '../src/handler/core.js';
import { classify, send } from './handler-core-requests.js';
import {
  CAPTURED_PACKETS,
  capture,
  capturedTableEntries,
  installCapturedTables,
  LO_PATH,
} from './vectors/classify-capture.js';

function batch(core: HandlerCore, table: string, hook: string, packets: PacketInput[]) {
  const reply = send(core, false, UMD_CMD_CLASSIFY_BATCH, encodeBatch(table, hook, packets));
  expect(reply.status).toBe(0);
  return decodeBatchReply(reply.body);
}

describe('CLASSIFY_BATCH', () => {
  it('counts exactly what the kernel counted for the same packets, one batch per hook', () => {
    const core = createHandlerCore();
    installCapturedTables(core);
    let packets = CAPTURED_PACKETS;
    for (const [table, hook, side] of LO_PATH) {
      const onWire = packets.map((p) =>
        side === 'out' ? { ...p, outInterface: 'lo' } : { ...p, inInterface: 'lo' },
      );
      const results = batch(core, table, hook, onWire);
      expect(results.map((r) => r.verdict)).not.toContain('CANNOT_EVALUATE');
      packets = packets.filter((_, n) => results[n]!.verdict === 'ACCEPT');
    }
    expect(capturedTableEntries(core, 'filter')).toBe(capture.tables.filter.after);
    expect(capturedTableEntries(core, 'mangle')).toBe(capture.tables.mangle.after);
  });

  it('answers as one CLASSIFY per packet would, and reports the counters it set', () => {
    const one = createHandlerCore();
    const many = createHandlerCore();
    installCapturedTables(one);
    installCapturedTables(many);
    const packets = CAPTURED_PACKETS.flatMap((p) => [
      { ...p, inInterface: 'lo' },
      { ...p, inInterface: 'eth0', tcpOptions: [2, 4] },
    ]);
    const expected = packets.map((packet) => {
      const parsed = classify(one, 'filter', 'INPUT', packet);
      return {
        verdict: parsed.verdict,
        rule: parsed.rule,
        ...(parsed.rejectWith ? { rejectWith: parsed.rejectWith } : {}),
      };
    });
    expect(batch(many, 'filter', 'INPUT', packets)).toEqual(expected);
    expect(capturedTableEntries(many, 'filter')).toBe(capturedTableEntries(one, 'filter'));
  });

  it('refuses a malformed batch whole: EINVAL or ENOENT, nothing counted', () => {
    const core = createHandlerCore();
    installCapturedTables(core);
    const before = capturedTableEntries(core, 'filter');
    const good = encodeBatch('filter', 'INPUT', [
      CAPTURED_PACKETS[0]!,
      { ...CAPTURED_PACKETS[1]!, inInterface: 'lo' },
    ]);
    const variants: [string, Uint8Array, number][] = [
      ['empty', new Uint8Array(0), -22],
      ['header only, cut short', good.subarray(0, 40), -22],
      ['one byte short', good.subarray(0, good.length - 1), -22],
      ['one byte more', Uint8Array.from([...good, 0]), -22],
      ['bad magic', mutate(good, (v) => v.setUint32(0, 0xdeadbeef, true)), -22],
      ['count beyond the bytes', mutate(good, (v) => v.setUint32(4, 3, true)), -22],
      ['huge count', mutate(good, (v) => v.setUint32(4, 0xffffffff, true)), -22],
      ['other record size', mutate(good, (v) => v.setUint32(60, 47, true)), -22],
      ['time NaN', mutate(good, (v) => v.setFloat64(64, Number.NaN, true)), -22],
      ['unknown table', encodeBatch('nosuch', 'INPUT', [CAPTURED_PACKETS[0]!]), -2],
      ['unknown hook', encodeBatch('filter', 'PREROUTING', [CAPTURED_PACKETS[0]!]), -22],
      ['user chain as hook', encodeBatch('filter', 'web', [CAPTURED_PACKETS[0]!]), -22],
      [
        'interface index past the names',
        mutate(good, (v, bytes) => v.setUint16(bytes.length - 48 + 20, 9, true)),
        -22,
      ],
    ];
    for (const [what, body, status] of variants) {
      expect([what, send(core, false, UMD_CMD_CLASSIFY_BATCH, body).status]).toEqual([
        what,
        status,
      ]);
    }
    expect(capturedTableEntries(core, 'filter')).toBe(before);
    // An empty batch is fine and counts nothing.
    expect(batch(core, 'filter', 'INPUT', [])).toEqual([]);
    expect(capturedTableEntries(core, 'filter')).toBe(before);
  });
});

function mutate(
  bytes: Uint8Array,
  change: (view: DataView, bytes: Uint8Array) => void,
): Uint8Array {
  const copy = bytes.slice();
  change(viewOf(copy), copy);
  return copy;
}
