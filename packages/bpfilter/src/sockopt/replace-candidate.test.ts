import { describe, expect, it } from 'vitest';
import {
  EntryBlob,
  IPT_GETINFO_SIZE,
  IPT_SO_GET_INFO,
  IPT_SO_SET_REPLACE,
  TABLE_DIGEST_SIZE,
  UMD_CMD_REPLACE,
  XT_COUNTERS_SIZE,
  decodeMboxReply,
  encodeMboxRequest,
} from '../abi/index.js';
import { createHandlerCore } from '../handler/core.js';
import { encodeReplaceRequest } from '../model/index.js';
import type { Rule, Table } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { receiptCounters, replaceCandidate } from './replace-candidate.js';
import { captureTable, snapshotOffsets, withAddedCounters } from './table-snapshot.js';
import { hasZeroGaps } from './zero-gaps.js';

const TEXT =
  '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n' +
  '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT -i eth0 -j web\n' +
  '-A FORWARD -j web\n-A web -p udp -m udp --sport 53 -j ACCEPT\n-A web -j RETURN\nCOMMIT\n';

/** limit's state past its user size (1/s, burst 1), bytes the kernel keeps but never copies back. */
const LIMIT_DATA = new Uint8Array(40).fill(0xee);
LIMIT_DATA.set([0x10, 0x27, 0, 0, 1, 0, 0, 0]);
const LIMIT: Rule = {
  matches: [{ kind: 'raw', name: 'limit', revision: 0, data: LIMIT_DATA }],
  target: { kind: 'verdict', verdict: 'ACCEPT' },
};

function table(extra: Rule[] = []): Table {
  const [parsed] = parseSave(TEXT);
  parsed!.chains.find((c) => c.name === 'INPUT')!.rules.push(...extra);
  return parsed!;
}

/** A handler core in this process, its filter table in use (4 built-in entries). */
function handler() {
  const core = createHandlerCore();
  const request = (isSet: boolean, cmd: number, data: Uint8Array) =>
    decodeMboxReply(core.handle(encodeMboxRequest({ isSet, cmd, data })))!;
  const info = new Uint8Array(IPT_GETINFO_SIZE);
  new TextEncoder().encodeInto('filter', info);
  expect(request(false, IPT_SO_GET_INFO, info).status).toBe(0);
  return { request, send: async (bytes: Uint8Array) => core.handle(bytes) };
}

describe('the table a SET_REPLACE holds, built as the handler keeps it', () => {
  it('is what the handler reads back, and its digest is the receipt the handler sends', async () => {
    const { request, send } = handler();
    for (const [i, replace] of [table(), table([LIMIT]), table()].entries()) {
      const bytes = encodeReplaceRequest(
        replace,
        i === 0 ? 4 : (await captureTable(send, 'filter')).info.numEntries,
      );
      const candidate = replaceCandidate(bytes)!;
      const reply = request(true, UMD_CMD_REPLACE, bytes);
      expect(reply.status).toBe(0);
      const old = receiptCounters(candidate, reply.body);
      expect(old?.length).toBe(candidate.numCounters * XT_COUNTERS_SIZE);
      expect(reply.body.length).toBe(old!.length + TABLE_DIGEST_SIZE);
      // Byte for byte what GET_INFO and GET_ENTRIES (into zeros) read from the handler.
      expect(candidate.snapshot).toEqual(await captureTable(send, 'filter'));
      expect(hasZeroGaps(candidate.snapshot)).toBe(true);
    }
  });

  it("keeps the entry starts it found, for the restore's SET_ADD_COUNTERS after it", () => {
    const candidate = replaceCandidate(encodeReplaceRequest(table([LIMIT]), 4))!;
    const offsets = new EntryBlob(candidate.snapshot.entries.slice()).offsets();
    const adds = new Uint8Array(offsets.length * XT_COUNTERS_SIZE);
    adds[0] = 1; // one packet more on the first entry: a new snapshot
    const added = withAddedCounters(candidate.snapshot, adds);
    expect(added).not.toBe(candidate.snapshot);
    // A next_offset of 0 (the first entry's, at byte 90) fails any walk of the entries: the
    // starts come from the candidate's own walk, not from a second one.
    for (const { entries } of [candidate.snapshot, added]) entries.fill(0, 90, 92);
    expect(snapshotOffsets(candidate.snapshot)).toEqual(offsets);
    expect(snapshotOffsets(added)).toEqual(offsets);
  });

  it('is a copy of its own when the request is a Buffer (as the service passes it on)', () => {
    // Buffer#slice is a view, where Uint8Array#slice copies: the kept table must not share the
    // caller's memory, nor write into it (an API caller's Buffer, reused after the call).
    const bytes = Buffer.from(encodeReplaceRequest(table([LIMIT]), 4));
    const sent = Buffer.from(bytes);
    const candidate = replaceCandidate(bytes)!;
    expect(bytes.equals(sent)).toBe(true);
    const kept = Buffer.from(candidate.snapshot.entries);
    bytes.fill(0x41);
    expect(Buffer.from(candidate.snapshot.entries).equals(kept)).toBe(true);
    expect(candidate.snapshot).toEqual(replaceCandidate(new Uint8Array(sent))!.snapshot);
  });

  it('takes no receipt of another table, a short one or one without a digest', () => {
    const { request } = handler();
    const bytes = encodeReplaceRequest(table(), 4);
    const candidate = replaceCandidate(bytes)!;
    const other = replaceCandidate(encodeReplaceRequest(table([LIMIT]), 4))!;
    const reply = request(true, UMD_CMD_REPLACE, bytes).body;
    expect(receiptCounters(candidate, reply)).toBeDefined();
    expect(receiptCounters(other, reply)).toBeUndefined();
    expect(receiptCounters(candidate, reply.subarray(0, reply.length - 1))).toBeUndefined();
    const flipped = reply.slice();
    flipped[flipped.length - 1]! ^= 1;
    expect(receiptCounters(candidate, flipped)).toBeUndefined();
    // A plain SET_REPLACE reply (old counters only) is no receipt.
    const { request: plain } = handler();
    expect(receiptCounters(candidate, plain(true, IPT_SO_SET_REPLACE, bytes).body)).toBeUndefined();
    expect(receiptCounters(undefined, reply)).toBeUndefined();
  });

  it('is not built for a table the handler refuses (a jump loop, a cut request)', () => {
    const [looped] = parseSave(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:a - [0:0]\n' +
        ':b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -j a\nCOMMIT\n',
    );
    const bytes = encodeReplaceRequest(looped!, 4);
    expect(handler().request(true, UMD_CMD_REPLACE, bytes).status).toBeLessThan(0);
    expect(replaceCandidate(bytes)).toBeUndefined();
    const valid = encodeReplaceRequest(table(), 4);
    expect(replaceCandidate(valid.subarray(0, valid.length - 8))).toBeUndefined();
    expect(replaceCandidate(valid.subarray(0, 50))).toBeUndefined();
  });

  it('is not built from a match of size 0, which the handler refuses (the copy never got past it)', () => {
    const request = encodeReplaceRequest(table(), 4);
    // The first entry's first match (-p tcp -m tcp), right after its 112-byte header.
    new DataView(request.buffer, request.byteOffset).setUint16(96 + 112, 0, true);
    expect(replaceCandidate(request)).toBeUndefined();
  });
});
