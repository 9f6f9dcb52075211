import { describe, expect, it } from 'vitest';
import {
  IPT_GETINFO_SIZE,
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
  decodeMboxRequest,
  encodeCountersInfo,
  encodeMboxRequest,
  toHex,
  XT_COUNTERS_INFO_HEADER_SIZE,
} from '../abi/index.js';
import { createHandlerCore } from '../handler/core.js';
import { encodeReplaceRequest } from '../model/index.js';
import type { Table } from '../model/types.js';
import {
  captureTable,
  entryCounters,
  restoreTable,
  type SendRequest,
  withAddedCounters,
} from './table-snapshot.js';

const TABLE: Table = {
  name: 'filter',
  chains: [
    {
      name: 'INPUT',
      policy: 'DROP',
      rules: [
        {
          protocol: 6,
          matches: [{ kind: 'tcp', destinationPorts: [22, 22] }],
          target: { kind: 'verdict', verdict: 'ACCEPT' },
        },
      ],
    },
    { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
    { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
  ],
};

/** A handler core in this process, with a log of the commands it was sent. */
function inProcessHandler(): { send: SendRequest; commands: string[] } {
  const core = createHandlerCore();
  const commands: string[] = [];
  return {
    commands,
    send: async (request) => {
      const decoded = decodeMboxRequest(request)!;
      commands.push(`${decoded.isSet ? 'set' : 'get'} ${decoded.cmd}`);
      return core.handle(request);
    },
  };
}

describe('table snapshots', () => {
  it('capture reads GET_INFO then GET_ENTRIES; restore replays the table and its counters into a fresh handler', async () => {
    const first = inProcessHandler();
    const name = new Uint8Array(IPT_GETINFO_SIZE);
    new TextEncoder().encodeInto('filter', name);
    await first.send(encodeMboxRequest({ isSet: false, cmd: IPT_SO_GET_INFO, data: name }));
    expect(
      decodeStatus(
        await first.send(
          encodeMboxRequest({
            isSet: true,
            cmd: IPT_SO_SET_REPLACE,
            data: encodeReplaceRequest(TABLE, 4),
          }),
        ),
      ),
    ).toBe(0);
    const counters = [
      { packets: 5n, bytes: 300n },
      { packets: 1n, bytes: 2n },
      { packets: 0n, bytes: 0n },
      { packets: 0n, bytes: 0n },
      { packets: 9n, bytes: 9n },
      { packets: 0n, bytes: 0n },
    ];
    expect(
      decodeStatus(
        await first.send(
          encodeMboxRequest({
            isSet: true,
            cmd: IPT_SO_SET_ADD_COUNTERS,
            data: encodeCountersInfo({ name: 'filter', counters: counters.slice(0, 5) }),
          }),
        ),
      ),
    ).toBe(0);

    first.commands.length = 0;
    const snapshot = await captureTable(first.send, 'filter');
    expect(first.commands).toEqual([`get ${IPT_SO_GET_INFO}`, `get ${IPT_SO_GET_ENTRIES}`]);
    expect(entryCounters(snapshot.entries)).toEqual(counters.slice(0, 5));

    const second = inProcessHandler();
    await restoreTable(second.send, snapshot);
    expect(second.commands).toEqual([
      `get ${IPT_SO_GET_INFO}`,
      `set ${IPT_SO_SET_REPLACE}`,
      `set ${IPT_SO_SET_ADD_COUNTERS}`,
      `get ${IPT_SO_GET_INFO}`,
      `get ${IPT_SO_GET_ENTRIES}`,
    ]);
    expect(toHex((await captureTable(second.send, 'filter')).entries)).toBe(
      toHex(snapshot.entries),
    );
  });

  it('restore fails loudly when the handler refuses the saved table', async () => {
    const handler = inProcessHandler();
    const snapshot = await captureTable(handler.send, 'filter');
    const broken = {
      info: { ...snapshot.info, numEntries: snapshot.info.numEntries + 1 },
      entries: snapshot.entries,
    };
    await expect(restoreTable(inProcessHandler().send, broken)).rejects.toThrow(
      /SET_REPLACE \(restore\) of table "filter" answered -22/,
    );
  });

  it('adds counters as the handler does: a copy, u64 wrapping; zeros keep the snapshot itself', async () => {
    const handler = inProcessHandler();
    const snapshot = await captureTable(handler.send, 'filter');
    const entries = snapshot.info.numEntries;
    const zeros = encodeCountersInfo({
      name: 'filter',
      counters: Array.from({ length: entries }, () => ({ packets: 0n, bytes: 0n })),
    }).subarray(XT_COUNTERS_INFO_HEADER_SIZE);
    expect(withAddedCounters(snapshot, zeros)).toBe(snapshot);
    const before = toHex(snapshot.entries);
    const adds = Array.from({ length: entries }, (_, i) => ({
      packets: i === 1 ? 2n ** 64n - 1n : BigInt(i),
      bytes: BigInt(i * 100),
    }));
    const once = encodeCountersInfo({ name: 'filter', counters: adds });
    const added = withAddedCounters(snapshot, once.subarray(XT_COUNTERS_INFO_HEADER_SIZE));
    const twice = withAddedCounters(added, once.subarray(XT_COUNTERS_INFO_HEADER_SIZE));
    expect(toHex(snapshot.entries)).toBe(before);
    expect(entryCounters(twice.entries)).toEqual(
      adds.map((c) => ({
        packets: BigInt.asUintN(64, c.packets * 2n),
        bytes: c.bytes * 2n,
      })),
    );
    expect(() => withAddedCounters(snapshot, zeros.subarray(16))).toThrow(RangeError);
  });

  it('entryCounters refuses a blob whose next_offset does not advance', () => {
    expect(() => entryCounters(new Uint8Array(200))).toThrow(RangeError);
  });
});

function decodeStatus(reply: Uint8Array): number {
  return new DataView(reply.buffer, reply.byteOffset).getInt32(0, true);
}
