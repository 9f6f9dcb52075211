import { describe, expect, it } from 'vitest';
import {
  IPT_F_GOTO,
  IptEntryOffset,
  decodeGetinfo,
  decodeReplace,
  fromHex,
  toHex,
  viewOf,
} from '../abi/index.js';
import { loadKernelTables, loadVectors } from '../../test/vectors/replay.js';
import {
  decodeTable,
  encodeReplaceRequest,
  encodeTable,
  entryLayout,
  type Table,
} from './index.js';

const steps = loadVectors('basic.jsonl');

/** A copy of an entry blob with every entry's `comefrom` zeroed. */
function withoutComefrom(entries: Uint8Array): Uint8Array {
  const copy = entries.slice();
  const view = new DataView(copy.buffer);
  for (let offset = 0; offset < copy.length; offset += view.getUint16(offset + 90, true))
    view.setUint32(offset + 92, 0, true);
  return copy;
}

describe('table model', () => {
  it('decodes every table iptables-legacy sent and encodes it back byte for byte', () => {
    let checked = 0;
    for (const step of steps) {
      for (const call of step.calls.filter((c) => c.opt === 'IPT_SO_SET_REPLACE')) {
        const replace = decodeReplace(fromHex(call.hex));
        const table = decodeTable(replace.name, replace, replace.entries);
        const encoded = encodeTable(table);
        // comefrom is kernel scratch (libiptc passes back what GET_ENTRIES showed; the kernel clears it).
        expect(toHex(withoutComefrom(encoded.entries)), step.iptables).toBe(
          toHex(withoutComefrom(replace.entries)),
        );
        expect(encoded.hookEntry).toEqual(replace.hookEntry);
        expect(encoded.underflow).toEqual(replace.underflow);
        expect(encoded.numEntries).toBe(replace.numEntries);
        expect(encoded.validHooks).toBe(replace.validHooks);
        checked++;
      }
    }
    expect(checked).toBe(17);
  });

  it('decodes the kernel GET_ENTRIES answers into the chains iptables-save printed', () => {
    let checked = 0;
    steps.forEach((step, index) => {
      const info = step.calls.find((c) => c.opt === 'IPT_SO_GET_INFO');
      const entries = step.calls.find((c) => c.opt === 'IPT_SO_GET_ENTRIES');
      if (!info || !entries) return;
      const layout = decodeGetinfo(fromHex(info.hex));
      const table = decodeTable(layout.name, layout, fromHex(entries.hex).subarray(40));
      // What this GET saw is the state the previous step left, as iptables-save printed it.
      const save = index === 0 ? '' : (steps[index - 1]?.save_after ?? '');
      const block = save.split('COMMIT\n').find((b) => b.startsWith(`*${layout.name}\n`));
      if (!block) return; // table not in use yet: the initial table
      const lines = block.split('\n');
      const chains = lines.filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' '));
      expect(
        table.chains.map((c) => [c.name, c.policy ?? '-']),
        step.iptables,
      ).toEqual(chains.map(([name, policy]) => [name, policy]));
      for (const chain of table.chains) {
        expect(chain.rules.length, `${step.iptables}: ${chain.name}`).toBe(
          lines.filter((l) => l.startsWith(`-A ${chain.name} `)).length,
        );
      }
      checked++;
    });
    expect(checked).toBeGreaterThan(12);
  });

  it('gives the structure of a known table', () => {
    const step = steps.find(
      (s) =>
        s.iptables === '-A OUTPUT ! -o lo -d 192.0.2.0/24 -p tcp --tcp-flags SYN,ACK SYN -j DROP',
    );
    const call = step?.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE');
    const replace = decodeReplace(fromHex(call?.hex ?? ''));
    const table = decodeTable('filter', replace, replace.entries);
    const zero = { packets: 0n, bytes: 0n };
    expect(table).toEqual({
      name: 'filter',
      chains: [
        {
          name: 'INPUT',
          policy: 'ACCEPT',
          counters: zero,
          rules: [
            { inInterface: 'lo', target: { kind: 'verdict', verdict: 'ACCEPT' }, counters: zero },
            {
              source: '10.0.0.0/8',
              protocol: 6,
              matches: [{ kind: 'tcp', destinationPorts: [22, 22] }],
              target: { kind: 'verdict', verdict: 'DROP' },
              counters: zero,
            },
            { inInterface: 'eth0', target: { kind: 'jump', chain: 'web' }, counters: zero },
          ],
        },
        {
          name: 'FORWARD',
          policy: 'ACCEPT',
          counters: zero,
          rules: [
            {
              protocol: 17,
              matches: [{ kind: 'udp', sourcePorts: [53, 53], invert: { sourcePorts: true } }],
              target: { kind: 'reject', with: 'icmp-port-unreachable' },
              counters: zero,
            },
          ],
        },
        {
          name: 'OUTPUT',
          policy: 'ACCEPT',
          counters: zero,
          rules: [
            {
              protocol: 1,
              matches: [{ kind: 'icmp', type: 8 }],
              target: { kind: 'log', level: 4, prefix: 'ping ', flags: 0 },
              counters: zero,
            },
            {
              destination: '192.0.2.0/24',
              outInterface: 'lo',
              invert: { outInterface: true },
              protocol: 6,
              matches: [{ kind: 'tcp', flags: { mask: 0x12, compare: 0x02 } }],
              target: { kind: 'verdict', verdict: 'DROP' },
              counters: zero,
            },
          ],
        },
        {
          name: 'web',
          counters: zero,
          rules: [
            {
              protocol: 6,
              matches: [{ kind: 'tcp', destinationPorts: [80, 80] }],
              target: { kind: 'verdict', verdict: 'ACCEPT' },
              counters: zero,
            },
            { target: { kind: 'verdict', verdict: 'RETURN' }, counters: zero },
          ],
        },
      ],
    });
    const layout = entryLayout(table);
    expect(layout.get('INPUT')).toEqual({ rules: [0, 1, 2], end: 3 });
    expect(layout.get('web')).toEqual({ rules: [10, 11], end: 12, head: 9 });
  });

  it('keeps unknown extensions, gotos, fragments and odd masks byte-exact', () => {
    const table: Table = {
      name: 'mangle',
      chains: [
        {
          name: 'PREROUTING',
          policy: 'DROP',
          rules: [
            { fragment: true, invert: { fragment: true }, target: { kind: 'goto', chain: 'x' } },
          ],
        },
        {
          name: 'INPUT',
          rules: [
            {
              source: '10.0.5.0/255.0.255.0',
              inInterface: 'eth+',
              matches: [
                {
                  kind: 'raw',
                  name: 'comment',
                  revision: 0,
                  data: new Uint8Array(256).fill(0x41, 0, 5),
                },
              ],
              target: {
                kind: 'raw',
                name: 'MARK',
                revision: 2,
                data: Uint8Array.of(1, 0, 0, 0, 255, 255, 255, 255),
              },
            },
          ],
        },
        { name: 'FORWARD', rules: [] },
        {
          name: 'OUTPUT',
          rules: [
            {
              inInterface: 'ab',
              inInterfaceMask: Uint8Array.of(0xff, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
              target: { kind: 'verdict', verdict: 'QUEUE' },
            },
          ],
        },
        { name: 'POSTROUTING', rules: [] },
        {
          name: 'x',
          rules: [
            {
              protocol: 17,
              invert: { protocol: true },
              target: { kind: 'verdict', verdict: 'RETURN' },
            },
          ],
        },
      ],
    };
    const encoded = encodeTable(table);
    const decoded = decodeTable('mangle', encoded, encoded.entries);
    expect(toHex(encodeTable(decoded).entries)).toBe(toHex(encoded.entries));
    expect(decoded.chains[0]?.rules[0]?.target).toEqual({ kind: 'goto', chain: 'x' });
    expect(decoded.chains[1]?.rules[0]?.source).toBe('10.0.5.0/255.0.255.0');
    expect(decoded.chains[1]?.rules[0]?.matches?.[0]).toMatchObject({
      kind: 'raw',
      name: 'comment',
    });
    expect(decoded.chains[3]?.rules[0]?.inInterfaceMask).toBeDefined();
    expect(encodeReplaceRequest(table, 6).length).toBe(96 + encoded.size);
  });

  it('refuses what it cannot encode', () => {
    const base = (rules: Table['chains'][number]['rules']): Table => ({
      name: 'filter',
      chains: [
        { name: 'INPUT', rules },
        { name: 'FORWARD', rules: [] },
        { name: 'OUTPUT', rules: [] },
      ],
    });
    expect(() => encodeTable({ name: 'broute', chains: [] })).toThrow(/unknown table/);
    expect(() => encodeTable({ name: 'filter', chains: [{ name: 'INPUT', rules: [] }] })).toThrow(
      /lacks/,
    );
    expect(() => encodeTable(base([{ target: { kind: 'jump', chain: 'nowhere' } }]))).toThrow(
      /unknown user chain/,
    );
    expect(() =>
      encodeTable(base([{ source: '300.1.1.1', target: { kind: 'verdict', verdict: 'ACCEPT' } }])),
    ).toThrow(/IPv4/);
    expect(() =>
      encodeTable(
        base([
          {
            protocol: 6,
            matches: [{ kind: 'tcp', destinationPorts: [1, 70000] }],
            target: { kind: 'verdict', verdict: 'ACCEPT' },
          },
        ]),
      ),
    ).toThrow(/ports/);
    expect(() =>
      encodeTable(base([{ target: { kind: 'log', level: 4, prefix: 'x'.repeat(30), flags: 0 } }])),
    ).toThrow(/prefix/);
  });
});

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
