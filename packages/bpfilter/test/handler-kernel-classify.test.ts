import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UMD_CMD_CLASSIFY, decodeGetinfo, decodeMboxReply, encodeGetEntries, encodeMboxRequest, encodeReplace, fromHex, toHex } from '../src/abi/index.js';
import type { ClassifyReply } from '../src/handler/classify-command.js';
import { createHandlerCore, type HandlerCore } from '../src/handler/core.js';
import type { PacketInput } from '../src/handler/classify/index.js';

// classify.json: packets a real kernel classified (see capture-classify.mjs): the filter table
// before and after, as GET_ENTRIES returned it, counters included.
interface Capture {
  commands: string[];
  packets: (PacketInput & { protocol: number; payload?: number; fragmentOffset?: number; tcpFlags?: number })[];
  info: string;
  before: string;
  after: string;
}
const capture = JSON.parse(readFileSync(new URL('./vectors/classify.json', import.meta.url), 'utf8')) as Capture;

function send(core: HandlerCore, isSet: boolean, cmd: number, data: Uint8Array) {
  const reply = decodeMboxReply(core.handle(encodeMboxRequest({ isSet, cmd, data })));
  if (!reply) throw new Error('short reply');
  return reply;
}

function classify(core: HandlerCore, hook: string, packet: PacketInput): ClassifyReply {
  const reply = send(core, false, UMD_CMD_CLASSIFY, new TextEncoder().encode(JSON.stringify({ table: 'filter', hook, packet })));
  expect(reply.status).toBe(0);
  return JSON.parse(new TextDecoder().decode(reply.body)) as ClassifyReply;
}

/** The bytes send-packets.py puts on the wire for a packet. */
function wireLength(p: Capture['packets'][number]): number {
  const l4 = p.protocol === 6 ? 20 : p.protocol === 17 || p.protocol === 1 ? 8 : 0;
  return 20 + l4 + (p.payload ?? 0);
}

describe('classification against a real kernel', () => {
  it('counts exactly what the kernel counted for the same packets through OUTPUT and INPUT', () => {
    const core = createHandlerCore();
    const info = decodeGetinfo(fromHex(capture.info));
    const before = fromHex(capture.before);
    // The kernel's table, installed as a client would (its GET_ENTRIES blob as the SET_REPLACE entries).
    const replace = encodeReplace({ ...info, numCounters: 4, countersPointer: 0n, entries: before.subarray(40) });
    expect(send(core, true, 64, replace).status).toBe(0);
    expect(toHex(send(core, false, 65, encodeGetEntries('filter', new Uint8Array(info.size))).body)).toBe(capture.before);

    const verdicts: string[] = [];
    for (const p of capture.packets) {
      const { payload: _payload, fragmentOffset, ...fields } = p;
      const packet: PacketInput = { ...fields, fragment: (fragmentOffset ?? 0) !== 0, length: wireLength(p) };
      const output = classify(core, 'OUTPUT', { ...packet, outInterface: 'lo' });
      let verdict = `OUTPUT ${output.verdict}`;
      if (output.verdict === 'ACCEPT') verdict += ` INPUT ${classify(core, 'INPUT', { ...packet, inInterface: 'lo' }).verdict}`;
      verdicts.push(verdict);
    }
    expect(verdicts.every((v) => !v.includes('CANNOT_EVALUATE'))).toBe(true);
    expect(toHex(send(core, false, 65, encodeGetEntries('filter', new Uint8Array(info.size))).body)).toBe(capture.after);
  });
});
