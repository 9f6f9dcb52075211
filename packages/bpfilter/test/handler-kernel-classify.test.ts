import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  UMD_CMD_CLASSIFY,
  decodeGetinfo,
  decodeMboxReply,
  encodeGetEntries,
  encodeMboxRequest,
  encodeReplace,
  fromHex,
  toHex,
} from '../src/abi/index.js';
import type { ClassifyReply } from '../src/handler/classify-command.js';
import { createHandlerCore, type HandlerCore } from '../src/handler/core.js';
import type { PacketInput } from '../src/handler/classify/index.js';

// classify.json: packets a real kernel classified (see capture-classify.mjs): the filter and
// mangle tables before and after, as GET_ENTRIES returned them, counters included.
interface TableCapture {
  info: string;
  before: string;
  after: string;
}
interface Capture {
  commands: string[];
  packets: (PacketInput & {
    protocol: number;
    payload?: number;
    fragmentOffset?: number;
    tcpFlags?: number;
  })[];
  tables: Record<'filter' | 'mangle', TableCapture>;
}
const capture = JSON.parse(
  readFileSync(new URL('./vectors/classify.json', import.meta.url), 'utf8'),
) as Capture;

function send(core: HandlerCore, isSet: boolean, cmd: number, data: Uint8Array) {
  const reply = decodeMboxReply(core.handle(encodeMboxRequest({ isSet, cmd, data })));
  if (!reply) throw new Error('short reply');
  return reply;
}

function classify(
  core: HandlerCore,
  table: string,
  hook: string,
  packet: PacketInput,
): ClassifyReply {
  const reply = send(
    core,
    false,
    UMD_CMD_CLASSIFY,
    new TextEncoder().encode(JSON.stringify({ table, hook, packet })),
  );
  expect(reply.status).toBe(0);
  return JSON.parse(new TextDecoder().decode(reply.body)) as ClassifyReply;
}

/** The bytes send-packets.py puts on the wire for a packet. */
function wireLength(p: Capture['packets'][number]): number {
  const l4 = p.protocol === 6 ? 20 : p.protocol === 17 || p.protocol === 1 ? 8 : 0;
  return 20 + l4 + (p.payload ?? 0);
}

/** The hooks a locally sent packet crosses on lo, in the kernel's order (mangle before filter). */
const PATH = [
  ['mangle', 'OUTPUT', 'out'],
  ['filter', 'OUTPUT', 'out'],
  ['mangle', 'POSTROUTING', 'out'],
  ['mangle', 'PREROUTING', 'in'],
  ['mangle', 'INPUT', 'in'],
  ['filter', 'INPUT', 'in'],
] as const;

function entriesOf(core: HandlerCore, table: string, size: number): string {
  return toHex(send(core, false, 65, encodeGetEntries(table, new Uint8Array(size))).body);
}

describe('classification against a real kernel', () => {
  it('counts exactly what the kernel counted for the same packets, hook after hook, filter and mangle', () => {
    const core = createHandlerCore();
    for (const [name, capt] of Object.entries(capture.tables)) {
      const info = decodeGetinfo(fromHex(capt.info));
      const initialEntries = name === 'mangle' ? 6 : 4;
      // The kernel's table, installed as a client would (its GET_ENTRIES blob as the SET_REPLACE entries).
      expect(
        send(
          core,
          true,
          64,
          encodeReplace({
            ...info,
            numCounters: initialEntries,
            countersPointer: 0n,
            entries: fromHex(capt.before).subarray(40),
          }),
        ).status,
      ).toBe(0);
      expect(entriesOf(core, name, info.size)).toBe(capt.before);
    }

    const journeys: string[] = [];
    for (const p of capture.packets) {
      const { payload: _payload, fragmentOffset, ...fields } = p;
      const packet: PacketInput = {
        ...fields,
        fragment: (fragmentOffset ?? 0) !== 0,
        length: wireLength(p),
      };
      const steps: string[] = [];
      for (const [table, hook, side] of PATH) {
        const reply = classify(
          core,
          table,
          hook,
          side === 'out' ? { ...packet, outInterface: 'lo' } : { ...packet, inInterface: 'lo' },
        );
        steps.push(`${table}/${hook} ${reply.verdict}`);
        if (reply.verdict !== 'ACCEPT') break;
      }
      journeys.push(steps.join(', '));
    }
    expect(journeys.join('\n')).not.toMatch(/CANNOT_EVALUATE/);
    for (const [name, capt] of Object.entries(capture.tables)) {
      expect(entriesOf(core, name, decodeGetinfo(fromHex(capt.info)).size), name).toBe(capt.after);
    }
  });
});
