import { describe, expect, it } from 'vitest';
import { decodeGetinfo, decodeReplace, fromHex, toHex } from '../abi/index.js';
import { loadVectors, withoutComefrom } from '../../test/vectors/replay.js';
import {
  decodeTable,
  encodeReplaceRequest,
  encodeTable,
  entryLayout,
  type Table,
} from './index.js';

const steps = loadVectors('basic.jsonl');

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
