import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IPT_GETINFO_SIZE,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_GET_REVISION_MATCH,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
  decodeMboxReply,
  encodeCountersInfo,
  encodeGetEntriesRequest,
  encodeMboxRequest,
} from '../abi/index.js';
import { createHandlerCore } from '../handler/core.js';
import { encodeReplaceRequest } from '../model/index.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { keptAnswer } from './kept-answers.js';
import { captureTable, snapshotOffsets, type TableSnapshot } from './table-snapshot.js';
import { hasZeroGaps, isAllZero } from './zero-gaps.js';

const TEXT =
  '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n' +
  '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\n' +
  '-A INPUT -i eth0 -j web\n-A INPUT -p icmp -m icmp --icmp-type 8 -j REJECT --reject-with icmp-host-prohibited\n' +
  '-A INPUT -j LOG --log-prefix "in: "\n-A web -p udp -m udp --sport 53 -j ACCEPT\n-A web -j RETURN\nCOMMIT\n';

/** Extensions whose data the kernel copies only in part (limit's state) or with padding. */
const RAW: Rule[] = [
  {
    matches: [{ kind: 'raw', name: 'limit', revision: 0, data: limitData() }],
    target: { kind: 'verdict', verdict: 'ACCEPT' },
  },
  {
    matches: [{ kind: 'raw', name: 'comment', revision: 0, data: commentData('kept') }],
    target: { kind: 'verdict', verdict: 'DROP' },
  },
];

function limitData(): Uint8Array {
  const data = new Uint8Array(40).fill(0xee);
  // 1/s, burst 5 (the kernel refuses an avg * burst that overflows 32 bits).
  new DataView(data.buffer).setUint32(0, 10000, true);
  new DataView(data.buffer).setUint32(4, 5, true);
  return data;
}

function commentData(text: string): Uint8Array {
  const data = new Uint8Array(256);
  new TextEncoder().encodeInto(text, data);
  return data;
}

/** A handler core in this process holding the table above, with counters, and its snapshot. */
async function handlerWithTable() {
  const core = createHandlerCore();
  const [table] = parseSave(TEXT);
  table!.chains.find((c) => c.name === 'INPUT')!.rules.push(...RAW);
  const request = async (isSet: boolean, cmd: number, data: Uint8Array, len?: number) =>
    decodeMboxReply(await core.handle(encodeMboxRequest({ isSet, cmd, data, len })))!;
  const send = async (bytes: Uint8Array) => core.handle(bytes);
  const info = new Uint8Array(IPT_GETINFO_SIZE);
  new TextEncoder().encodeInto('filter', info);
  await request(false, IPT_SO_GET_INFO, info);
  const replaced = await request(true, IPT_SO_SET_REPLACE, encodeReplaceRequest(table!, 4));
  expect(replaced.status).toBe(0);
  const entries = (await captureTable(send, 'filter')).info.numEntries;
  const counters = Array.from({ length: entries }, (_, i) => ({
    packets: BigInt(i * 3 + 1),
    bytes: BigInt(i) * 1_000_000_007n,
  }));
  const added = await request(
    true,
    IPT_SO_SET_ADD_COUNTERS,
    encodeCountersInfo({ name: 'filter', counters }),
  );
  expect(added.status).toBe(0);
  const snapshot = await captureTable(send, 'filter');
  const kept = (name: string): TableSnapshot | undefined =>
    name === 'filter' ? snapshot : undefined;
  return { request, snapshot, kept };
}

/** A GET_ENTRIES caller buffer for `size` bytes, the rest of it holding `fill`'s bytes. */
function callerBuffer(size: number, fill: (i: number) => number, name = 'filter'): Uint8Array {
  const buffer = new Uint8Array(IPT_GET_ENTRIES_HEADER_SIZE + size);
  for (let i = 0; i < buffer.length; i++) buffer[i] = fill(i);
  buffer.set(encodeGetEntriesRequest(name, size));
  return buffer;
}

describe('GET_INFO and GET_ENTRIES answered from the kept table', () => {
  it('answers GET_INFO as the handler does', async () => {
    const { request, kept } = await handlerWithTable();
    const info = new Uint8Array(IPT_GETINFO_SIZE).fill(0x41);
    info.set(new TextEncoder().encode('filter\0'));
    const handler = await request(false, IPT_SO_GET_INFO, info);
    expect(handler.status).toBe(0);
    expect(keptAnswer(IPT_SO_GET_INFO, info, kept)).toEqual(handler.body);
  });

  it('answers GET_ENTRIES with the bytes the handler writes, whatever the caller buffer held', async () => {
    const { request, snapshot, kept } = await handlerWithTable();
    const size = snapshot.info.size;
    // What the kernel leaves alone (padding, bytes past a name, limit's state) keeps the caller's.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const buffer = callerBuffer(size, (i) => (Math.imul(seed ^ i, 2654435761) >>> 24) & 0xff);
        const handler = await request(false, IPT_SO_GET_ENTRIES, buffer);
        expect(handler.status).toBe(0);
        expect(keptAnswer(IPT_SO_GET_ENTRIES, buffer, kept)).toEqual(handler.body);
      }),
      { numRuns: 50 },
    );
  });

  it('answers a buffer of zeros with one copy only when the kept bytes past names and data are zeros', async () => {
    const { request, snapshot, kept } = await handlerWithTable();
    const zeros = callerBuffer(snapshot.info.size, () => 0);
    const handler = await request(false, IPT_SO_GET_ENTRIES, zeros);
    expect(hasZeroGaps(snapshot)).toBe(true);
    expect(keptAnswer(IPT_SO_GET_ENTRIES, zeros, kept)).toEqual(handler.body);
    // Kept bytes the kernel never copies back (limit's state, name tails) that are not zero:
    // the answer still holds the caller's zeros there.
    const blurred: TableSnapshot = { info: snapshot.info, entries: snapshot.entries.slice() };
    const offsets = snapshotOffsets(blurred);
    const tail = offsets[0]! + 112 + 2 + 'tcp'.length + 1; // past the first match's name
    blurred.entries[tail] = 0x55;
    expect(hasZeroGaps(blurred)).toBe(false);
    const answer = keptAnswer(IPT_SO_GET_ENTRIES, zeros, () => blurred)!;
    expect(answer[IPT_GET_ENTRIES_HEADER_SIZE + tail]).toBe(0);
    expect(answer).toEqual(handler.body);
    expect(isAllZero(new Uint8Array(200_000))).toBe(true);
    const one = new Uint8Array(200_000);
    one[150_000] = 1;
    expect(isAllZero(one)).toBe(false);
  });

  it('leaves to the handler what the kept table cannot answer exactly (the handler refuses it)', async () => {
    const { request, snapshot, kept } = await handlerWithTable();
    const size = snapshot.info.size;
    const zero = () => 0;
    const truncated = callerBuffer(size, zero).subarray(0, IPT_GET_ENTRIES_HEADER_SIZE + 8);
    const refused: [number, Uint8Array][] = [
      [IPT_SO_GET_ENTRIES, callerBuffer(size - 8, zero)], // not the table's size: EAGAIN
      [IPT_SO_GET_ENTRIES, truncated], // length is not header + size: EINVAL
      [IPT_SO_GET_ENTRIES, callerBuffer(size, zero).subarray(0, 20)], // shorter than the header
      [IPT_SO_GET_INFO, new Uint8Array(IPT_GETINFO_SIZE + 1)], // EINVAL
    ];
    for (const [optname, buffer] of refused) {
      expect(keptAnswer(optname, buffer, kept)).toBeUndefined();
      expect((await request(false, optname, buffer)).status).toBeLessThan(0);
    }
    // A table not kept (the handler holds mangle, built in), another option.
    expect(
      keptAnswer(IPT_SO_GET_ENTRIES, callerBuffer(size, zero, 'mangle'), kept),
    ).toBeUndefined();
    expect(keptAnswer(IPT_SO_GET_REVISION_MATCH, new Uint8Array(32), kept)).toBeUndefined();
  });
});
