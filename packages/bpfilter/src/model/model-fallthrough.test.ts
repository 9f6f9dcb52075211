/** libiptc's rules without a target (a fall-through to the next entry), decoded and encoded. */
import { describe, expect, it } from 'vitest';
import { IPT_F_GOTO, IptEntryOffset, decodeGetinfo, toHex, viewOf } from '../abi/index.js';
import { loadKernelTables, withoutComefrom } from '../../test/vectors/replay.js';
import { decodeTable, encodeTable, type Table } from './index.js';

describe('rules without a target (libiptc fall-through)', () => {
  const NONE = { kind: 'none' } as const;

  it('decodes the tables iptables-legacy built with them and encodes them back byte for byte', () => {
    const decoded = loadKernelTables().tables.map(({ name, info, entries }) => {
      const layout = decodeGetinfo(info);
      const table = decodeTable(name, layout, entries);
      const encoded = encodeTable(table);
      expect(toHex(withoutComefrom(encoded.entries)), name).toBe(toHex(withoutComefrom(entries)));
      // GET_INFO says 0xFFFFFFFF for the hooks a table does not have.
      const used = (offsets: readonly number[]) =>
        offsets.filter((_, hook) => layout.validHooks & (1 << hook));
      expect([used(encoded.hookEntry), used(encoded.underflow), encoded.numEntries]).toEqual([
        used(layout.hookEntry),
        used(layout.underflow),
        layout.numEntries,
      ]);
      return table;
    });
    const rules = (table: string, chain: string) =>
      decoded.find((t) => t.name === table)?.chains.find((c) => c.name === chain)?.rules ?? [];
    expect(rules('filter', 'INPUT')[0]).toEqual({
      source: '127.0.0.1/32',
      target: NONE,
      counters: { packets: 0n, bytes: 0n },
    });
    expect(rules('filter', 'OUTPUT')[0]).toMatchObject({
      protocol: 6,
      matches: [{ kind: 'tcp', destinationPorts: [443, 443] }],
      target: NONE,
    });
    expect(rules('filter', 'web')[1]).toMatchObject({ protocol: 6, target: NONE });
    expect(rules('mangle', 'mark_it')[1]).toMatchObject({ protocol: 6, target: NONE });
    expect(rules('mangle', 'mark_it')[1]?.matches).toBeUndefined();
  });

  it('encodes one as a standard target (name "") whose verdict is the offset of the next entry', () => {
    const table: Table = {
      name: 'filter',
      chains: [
        {
          name: 'INPUT',
          rules: [
            { source: '1.2.3.4', target: NONE },
            { target: { kind: 'verdict', verdict: 'ACCEPT' } },
          ],
        },
        { name: 'FORWARD', rules: [] },
        {
          name: 'OUTPUT',
          rules: [
            { protocol: 6, matches: [{ kind: 'tcp', destinationPorts: [443, 443] }], target: NONE },
          ],
        },
      ],
    };
    const { entries } = encodeTable(table);
    const view = viewOf(entries);
    // Entry 0: 112-byte entry + 40-byte standard target; its verdict names entry 1 at 152.
    expect([
      view.getUint16(IptEntryOffset.targetOffset, true),
      view.getUint16(IptEntryOffset.nextOffset, true),
    ]).toEqual([112, 152]);
    expect(toHex(entries.subarray(112, 152))).toBe(
      `2800${'00'.repeat(30)}${'98000000'}${'00'.repeat(4)}`,
    );
    // OUTPUT's rule sits after INPUT (2 rules + policy) and FORWARD's policy: 4 * 152 = 608; with its tcp match it is 200 long.
    const output = 608;
    expect([
      view.getUint16(output + IptEntryOffset.targetOffset, true),
      view.getUint16(output + IptEntryOffset.nextOffset, true),
    ]).toEqual([160, 200]);
    expect(view.getInt32(output + 160 + 32, true)).toBe(output + 200);
    expect(
      decodeTable('filter', encodeTable(table), entries).chains.map((c) =>
        c.rules.map((r) => r.target.kind),
      ),
    ).toEqual([['none', 'verdict'], [], ['none']]);
  });

  it('refuses to read a goto to the next entry (libiptc never builds one)', () => {
    const table: Table = {
      name: 'filter',
      chains: [
        { name: 'INPUT', rules: [{ target: NONE }] },
        { name: 'FORWARD', rules: [] },
        { name: 'OUTPUT', rules: [] },
      ],
    };
    const encoded = encodeTable(table);
    encoded.entries[IptEntryOffset.flags] = IPT_F_GOTO;
    expect(() => decodeTable('filter', encoded, encoded.entries)).toThrow(/goto to the next entry/);
  });
});
