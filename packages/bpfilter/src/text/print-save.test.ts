import { describe, expect, it } from 'vitest';
import {
  IPT_GETINFO_SIZE,
  IPT_GET_ENTRIES_HEADER_SIZE,
  decodeGetinfo,
  decodeReplace,
  fromHex,
} from '../abi/index.js';
import { decodeTable } from '../model/index.js';
import type { Table } from '../model/types.js';
import { loadKernelTables, loadVectors } from '../../test/vectors/replay.js';
import { formatRule, formatSave, printable } from './print-save.js';

/**
 * The tables after each scenario line, decoded from the bytes iptables-legacy sent the kernel
 * (SET_REPLACE) or read from it (the first GET_ENTRIES), newest table first as /proc lists them.
 */
function tablesAfterEachStep(): { command: string; tables: Table[]; expected: string }[] {
  const tables = new Map<string, Table>();
  return loadVectors('basic.jsonl').map((step) => {
    for (let i = 0; i < step.calls.length; i++) {
      const call = step.calls[i]!;
      if (call.opt === 'IPT_SO_SET_REPLACE') {
        const replace = decodeReplace(fromHex(call.hex));
        tables.set(replace.name, decodeTable(replace.name, replace, replace.entries));
      } else if (call.opt === 'IPT_SO_GET_ENTRIES' && call.rc === 0) {
        const info = decodeGetinfo(fromHex(step.calls[i - 1]!.hex).subarray(0, IPT_GETINFO_SIZE));
        if (!tables.has(info.name))
          tables.set(
            info.name,
            decodeTable(info.name, info, fromHex(call.hex).subarray(IPT_GET_ENTRIES_HEADER_SIZE)),
          );
      }
    }
    return {
      command: step.iptables,
      tables: [...tables.values()].reverse(),
      expected: step.save_after,
    };
  });
}

describe('formatSave against iptables-legacy-save', () => {
  for (const { command, tables, expected } of tablesAfterEachStep()) {
    it(`prints what iptables-legacy-save printed after: iptables ${command}`, () => {
      expect(formatSave(tables)).toBe(expected);
    });
  }

  it('prints rule counters with { counters: true }, policy counters always', () => {
    const table: Table = {
      name: 'filter',
      chains: [
        {
          name: 'INPUT',
          policy: 'DROP',
          counters: { packets: 7n, bytes: 420n },
          rules: [
            {
              protocol: 6,
              target: { kind: 'verdict', verdict: 'ACCEPT' },
              counters: { packets: 3n, bytes: 180n },
            },
          ],
        },
        { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
        { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
      ],
    };
    expect(formatSave([table], { counters: true })).toBe(
      '*filter\n:INPUT DROP [7:420]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:180] -A INPUT -p tcp -j ACCEPT\nCOMMIT\n',
    );
    expect(formatSave([table])).toContain('\n-A INPUT -p tcp -j ACCEPT\n');
  });

  it('prints every supported option the way iptables-save orders it', () => {
    expect(
      formatRule('INPUT', {
        source: '10.0.0.0/8',
        destination: '10.0.255.0/255.0.255.0',
        inInterface: 'eth+',
        outInterface: 'wg0',
        protocol: 6,
        fragment: true,
        invert: { source: true, inInterface: true, fragment: true },
        matches: [
          {
            kind: 'tcp',
            sourcePorts: [1024, 65535],
            destinationPorts: [22, 22],
            flags: { mask: 0x3f, compare: 0x02 },
            invert: { destinationPorts: true, flags: true },
          },
        ],
        target: { kind: 'log', level: 6, prefix: 'it\'s "x"', flags: 0x09 },
      }),
    ).toBe(
      '-A INPUT ! -s 10.0.0.0/8 -d 10.0.255.0/255.0.255.0 ! -i eth+ -o wg0 -p tcp ! -f -m tcp --sport 1024:65535 ! --dport 22 ! --tcp-flags FIN,SYN,RST,PSH,ACK,URG SYN -j LOG --log-prefix "it\\\'s \\"x\\"" --log-level 6 --log-tcp-sequence --log-uid',
    );
    expect(
      formatRule('X', {
        protocol: 1,
        matches: [{ kind: 'icmp', type: 3, code: [3, 3], invert: true }],
        target: { kind: 'goto', chain: 'Y' },
      }),
    ).toBe('-A X -p icmp -m icmp ! --icmp-type 3/3 -g Y');
    expect(
      formatRule('X', {
        protocol: 17,
        invert: { protocol: true },
        target: { kind: 'reject', with: 'icmp-host-prohibited' },
      }),
    ).toBe('-A X ! -p udp -j REJECT --reject-with icmp-host-prohibited');
  });

  it('prints rules without a target with no -j, as iptables-legacy-save printed the same tables', () => {
    const { save, tables } = loadKernelTables();
    const decoded = tables.map(({ name, info, entries }) =>
      decodeTable(name, decodeGetinfo(info), entries),
    );
    expect(formatSave(decoded)).toBe(save);
    expect(formatRule('INPUT', { target: { kind: 'none' } })).toBe('-A INPUT');
    expect(
      formatRule(
        'INPUT',
        { source: '1.2.3.4', target: { kind: 'none' }, counters: { packets: 2n, bytes: 80n } },
        { counters: true },
      ),
    ).toBe('[2:80] -A INPUT -s 1.2.3.4/32');
  });

  it('refuses (typed error) to print an extension it has no text form for', () => {
    const rule = {
      matches: [{ kind: 'raw' as const, name: 'comment', revision: 0, data: new Uint8Array(256) }],
      target: { kind: 'verdict' as const, verdict: 'ACCEPT' as const },
    };
    expect(() => formatRule('INPUT', rule)).toThrow(
      expect.objectContaining({
        code: 'UMD_INVALID_ARGUMENT',
        message: expect.stringContaining('"comment"'),
      }),
    );
  });
});

describe('extensions without a text form', () => {
  const rule = {
    matches: [
      { kind: 'raw' as const, name: 'comment', revision: 0, data: Uint8Array.of(104, 105, 0, 0) },
    ],
    target: { kind: 'raw' as const, name: 'NOTRACK', revision: 0, data: new Uint8Array(0) },
  };
  it('are refused by the save format and shown by name, revision and bytes when opaque', () => {
    const table = {
      name: 'raw',
      chains: [{ name: 'PREROUTING', policy: 'ACCEPT' as const, rules: [rule] }],
    };
    expect(printable([table])).toBe(false);
    expect(() => formatSave([table])).toThrow(/cannot print match "comment"/);
    expect(formatRule('PREROUTING', rule, { opaque: true })).toBe(
      '-A PREROUTING -m comment [revision 0: 6869] -j NOTRACK [revision 0: no data]',
    );
  });
});
