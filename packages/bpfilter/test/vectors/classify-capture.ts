/**
 * `classify.json` (see capture-classify.mjs): packets a real kernel classified, and the filter
 * and mangle tables before and after, as GET_ENTRIES returned them, counters included.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  decodeGetinfo,
  encodeGetEntries,
  encodeReplace,
  fromHex,
  toHex,
} from '../../src/abi/index.js';
import type { PacketInput } from '../../src/handler/classify/index.js';
import type { HandlerCore } from '../../src/handler/core.js';
import { send } from '../handler-core-requests.js';

/** One table of the capture: GET_INFO's answer, GET_ENTRIES' before and after (hex). */
interface TableCapture {
  info: string;
  before: string;
  after: string;
}

/** A packet as send-packets.py sent it. */
export type CapturedPacket = PacketInput & {
  protocol: number;
  payload?: number;
  fragmentOffset?: number;
};

export const capture = JSON.parse(
  readFileSync(new URL('./classify.json', import.meta.url), 'utf8'),
) as {
  commands: string[];
  packets: CapturedPacket[];
  tables: Record<'filter' | 'mangle', TableCapture>;
};

/** The captured packets as CLASSIFY takes them: a fragment flag, the bytes put on the wire. */
export const CAPTURED_PACKETS: PacketInput[] = capture.packets.map((p) => {
  const { payload, fragmentOffset, ...fields } = p;
  const l4 = p.protocol === 6 ? 20 : p.protocol === 17 || p.protocol === 1 ? 8 : 0;
  return { ...fields, fragment: (fragmentOffset ?? 0) !== 0, length: 20 + l4 + (payload ?? 0) };
});

/** The hooks a locally sent packet crosses on lo, in the kernel's order (mangle before filter). */
export const LO_PATH = [
  ['mangle', 'OUTPUT', 'out'],
  ['filter', 'OUTPUT', 'out'],
  ['mangle', 'POSTROUTING', 'out'],
  ['mangle', 'PREROUTING', 'in'],
  ['mangle', 'INPUT', 'in'],
  ['filter', 'INPUT', 'in'],
] as const;

/** Installs the kernel's tables as a client would (their GET_ENTRIES blobs as SET_REPLACE entries). */
export function installCapturedTables(core: HandlerCore): void {
  for (const [name, table] of Object.entries(capture.tables)) {
    const replace = encodeReplace({
      ...decodeGetinfo(fromHex(table.info)),
      numCounters: name === 'mangle' ? 6 : 4, // the fresh handler's initial tables
      countersPointer: 0n,
      entries: fromHex(table.before).subarray(40),
    });
    expect(send(core, true, 64, replace).status).toBe(0);
  }
}

/** GET_ENTRIES of a captured table from `core`, as hex like the capture's. */
export function capturedTableEntries(core: HandlerCore, table: 'filter' | 'mangle'): string {
  const { size } = decodeGetinfo(fromHex(capture.tables[table].info));
  return toHex(send(core, false, 65, encodeGetEntries(table, new Uint8Array(size))).body);
}
