/**
 * CLASSIFY_BATCH against the handler core: the same counters as a real kernel after the
 * same packets (classify.json), the same answers as one CLASSIFY per packet, and malformed
 * batches refused whole (nothing counted).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeGetinfo,
  decodeMboxReply,
  encodeGetEntries,
  encodeMboxRequest,
  encodeReplace,
  fromHex,
  toHex,
  UMD_CMD_CLASSIFY,
  UMD_CMD_CLASSIFY_BATCH,
  viewOf,
} from '../src/abi/index.js';
import { decodeBatchReply, encodeBatch } from '../src/api/batch-codec.js';
import type { ClassifyReply } from '../src/handler/classify-command.js';
import type { PacketInput } from '../src/handler/classify/index.js';
import { createHandlerCore, type HandlerCore } from '../src/handler/core.js';

interface Capture {
  packets: (PacketInput & { protocol: number; payload?: number; fragmentOffset?: number })[];
  tables: Record<'filter' | 'mangle', { info: string; before: string; after: string }>;
}
const capture = JSON.parse(
  readFileSync(new URL('./vectors/classify.json', import.meta.url), 'utf8'),
) as Capture;

function send(core: HandlerCore, isSet: boolean, cmd: number, data: Uint8Array) {
  const reply = decodeMboxReply(core.handle(encodeMboxRequest({ isSet, cmd, data })));
  if (!reply) throw new Error('short reply');
  return reply;
}

function install(core: HandlerCore): void {
  for (const [name, capt] of Object.entries(capture.tables)) {
    const info = decodeGetinfo(fromHex(capt.info));
    const replace = encodeReplace({
      ...info,
      numCounters: name === 'mangle' ? 6 : 4,
      countersPointer: 0n,
      entries: fromHex(capt.before).subarray(40),
    });
    expect(send(core, true, 64, replace).status).toBe(0);
  }
}

const entriesOf = (core: HandlerCore, table: 'filter' | 'mangle') => {
  const size = decodeGetinfo(fromHex(capture.tables[table].info)).size;
  return toHex(send(core, false, 65, encodeGetEntries(table, new Uint8Array(size))).body);
};

const PACKETS: PacketInput[] = capture.packets.map((p) => {
  const { payload, fragmentOffset, ...fields } = p;
  const l4 = p.protocol === 6 ? 20 : p.protocol === 17 || p.protocol === 1 ? 8 : 0;
  return { ...fields, fragment: (fragmentOffset ?? 0) !== 0, length: 20 + l4 + (payload ?? 0) };
});

/** The hooks a locally sent packet crosses on lo, in the kernel's order. */
const PATH = [
  ['mangle', 'OUTPUT', 'out'],
  ['filter', 'OUTPUT', 'out'],
  ['mangle', 'POSTROUTING', 'out'],
  ['mangle', 'PREROUTING', 'in'],
  ['mangle', 'INPUT', 'in'],
  ['filter', 'INPUT', 'in'],
] as const;

function batch(core: HandlerCore, table: string, hook: string, packets: PacketInput[]) {
  const reply = send(core, false, UMD_CMD_CLASSIFY_BATCH, encodeBatch(table, hook, packets));
  expect(reply.status).toBe(0);
  return decodeBatchReply(reply.body);
}

describe('CLASSIFY_BATCH', () => {
  it('counts exactly what the kernel counted for the same packets, one batch per hook', () => {
    const core = createHandlerCore();
    install(core);
    let packets = PACKETS;
    for (const [table, hook, side] of PATH) {
      const onWire = packets.map((p) =>
        side === 'out' ? { ...p, outInterface: 'lo' } : { ...p, inInterface: 'lo' },
      );
      const results = batch(core, table, hook, onWire);
      expect(results.map((r) => r.verdict)).not.toContain('CANNOT_EVALUATE');
      packets = packets.filter((_, n) => results[n]!.verdict === 'ACCEPT');
    }
    expect(entriesOf(core, 'filter')).toBe(capture.tables.filter.after);
    expect(entriesOf(core, 'mangle')).toBe(capture.tables.mangle.after);
  });

  it('answers as one CLASSIFY per packet would, and reports the counters it set', () => {
    const one = createHandlerCore();
    const many = createHandlerCore();
    install(one);
    install(many);
    const packets = PACKETS.flatMap((p) => [
      { ...p, inInterface: 'lo' },
      { ...p, inInterface: 'eth0', tcpOptions: [2, 4] },
    ]);
    const expected = packets.map((packet) => {
      const reply = send(
        one,
        false,
        UMD_CMD_CLASSIFY,
        new TextEncoder().encode(JSON.stringify({ table: 'filter', hook: 'INPUT', packet })),
      );
      const parsed = JSON.parse(new TextDecoder().decode(reply.body)) as ClassifyReply;
      return {
        verdict: parsed.verdict,
        rule: parsed.rule,
        ...(parsed.rejectWith ? { rejectWith: parsed.rejectWith } : {}),
      };
    });
    expect(batch(many, 'filter', 'INPUT', packets)).toEqual(expected);
    expect(entriesOf(many, 'filter')).toBe(entriesOf(one, 'filter'));
  });

  it('refuses a malformed batch whole: EINVAL or ENOENT, nothing counted', () => {
    const core = createHandlerCore();
    install(core);
    const before = entriesOf(core, 'filter');
    const good = encodeBatch('filter', 'INPUT', [
      PACKETS[0]!,
      { ...PACKETS[1]!, inInterface: 'lo' },
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
      ['unknown table', encodeBatch('nosuch', 'INPUT', [PACKETS[0]!]), -2],
      ['unknown hook', encodeBatch('filter', 'PREROUTING', [PACKETS[0]!]), -22],
      ['user chain as hook', encodeBatch('filter', 'web', [PACKETS[0]!]), -22],
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
    expect(entriesOf(core, 'filter')).toBe(before);
    // An empty batch is fine and counts nothing.
    expect(batch(core, 'filter', 'INPUT', [])).toEqual([]);
    expect(entriesOf(core, 'filter')).toBe(before);
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
