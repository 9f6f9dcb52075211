import { describe, expect, it } from 'vitest';
import { decodeReplace, fromHex, toHex } from '../abi/index.js';
import { encodeTable } from '../model/index.js';
import { loadKernelTables, loadVectors, withoutComefrom } from '../../test/vectors/replay.js';
import { parseSave } from './parse-save.js';
import { formatSave } from './print-save.js';

describe('parseSave', () => {
  const steps = loadVectors('basic.jsonl');

  for (const step of steps) {
    it(`reads back what iptables-legacy-save printed after: iptables ${step.iptables}`, () => {
      const tables = parseSave(step.save_after);
      expect(formatSave(tables)).toBe(step.save_after);
    });
  }

  // The text -> model -> ABI path must build the very bytes iptables-legacy built.
  for (const step of steps) {
    const replace = step.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE');
    if (!replace) continue;
    it(`encodes the parsed text to iptables' own SET_REPLACE entries after: iptables ${step.iptables}`, () => {
      const sent = decodeReplace(fromHex(replace.hex));
      const table = parseSave(step.save_after).find((t) => t.name === sent.name);
      expect(table).toBeDefined();
      const encoded = encodeTable(table!);
      expect({
        hookEntry: encoded.hookEntry,
        underflow: encoded.underflow,
        numEntries: encoded.numEntries,
      }).toEqual({
        hookEntry: sent.hookEntry,
        underflow: sent.underflow,
        numEntries: sent.numEntries,
      });
      expect(toHex(withoutComefrom(encoded.entries))).toBe(toHex(withoutComefrom(sent.entries)));
    });
  }

  it("reads rules without a target (no -j) as iptables-legacy-save printed them, and encodes them to libiptc's bytes", () => {
    const { save, tables } = loadKernelTables();
    expect(save).toContain('\n-A INPUT -s 127.0.0.1/32\n');
    expect(save).toContain('\n-A mark_it -p tcp\n');
    const parsed = parseSave(save);
    expect(formatSave(parsed)).toBe(save);
    for (const { name, entries } of tables) {
      const table = parsed.find((t) => t.name === name);
      expect(toHex(withoutComefrom(encodeTable(table!).entries)), name).toBe(
        toHex(withoutComefrom(entries)),
      );
    }
    const [filter] = parseSave(
      '*filter\n:INPUT ACCEPT [0:0]\n[3:180] -A INPUT\n-A INPUT -p tcp --dport 443\nCOMMIT\n',
    );
    expect(filter!.chains[0]!.rules).toEqual([
      { target: { kind: 'none' }, counters: { packets: 3n, bytes: 180n } },
      {
        protocol: 6,
        matches: [{ kind: 'tcp', destinationPorts: [443, 443] }],
        target: { kind: 'none' },
      },
    ]);
  });

  it('reads the forms iptables accepts beside the saved ones', () => {
    const [table] = parseSave(
      [
        '# a comment',
        '*filter',
        ':INPUT DROP [5:300]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':svc - [0:0]',
        '[2:120] -A INPUT --source 10.1.2.3/8 -p tcp ! --dport 1000:2000 --syn -j svc',
        '-A INPUT -p icmp --icmp-type port-unreachable -j REJECT --reject-with tcp-rst',
        "-A svc -p udp -m udp --sport :53 -j LOG --log-level info --log-prefix 'a b' --log-ip-options",
        '-A svc -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(table!.declaredBuiltins).toEqual(['INPUT', 'FORWARD', 'OUTPUT']);
    expect(formatSave([table!], { counters: true })).toBe(
      [
        '*filter',
        ':INPUT DROP [5:300]',
        ':FORWARD ACCEPT [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':svc - [0:0]',
        '[2:120] -A INPUT -s 10.0.0.0/8 -p tcp -m tcp ! --dport 1000:2000 --tcp-flags FIN,SYN,RST,ACK SYN -j svc',
        '[0:0] -A INPUT -p icmp -m icmp --icmp-type 3/3 -j REJECT --reject-with tcp-reset',
        '[0:0] -A svc -p udp -m udp --sport 0:53 -j LOG --log-prefix "a b" --log-level 6 --log-ip-options',
        '[0:0] -A svc -j RETURN',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  const bad: [string, RegExp][] = [
    ['-A INPUT -j ACCEPT\n', /line 1: expected a \*table line first/],
    ['*broute\nCOMMIT\n', /unknown table "broute"/],
    ['*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\n', /has no COMMIT/],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A FORWARD -j ACCEPT\nCOMMIT\n',
      /line 3: chain "FORWARD" is not declared/,
    ],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT --dport 22 -j ACCEPT\nCOMMIT\n',
      /--dport needs -p tcp, udp or icmp/,
    ],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p udp --tcp-flags SYN SYN -j ACCEPT\nCOMMIT\n',
      /--tcp-flags is not an option of -m udp/,
    ],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m state --state NEW -j ACCEPT\nCOMMIT\n',
      /match "state" is not supported/,
    ],
    ['*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j nowhere\nCOMMIT\n', /line 4: .*"nowhere"/],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/40 -j ACCEPT\nCOMMIT\n',
      /invalid address "10.0.0.0\/40"/,
    ],
    ['*filter\n:INPUT ACCEPT [0:0]\n-A INPUT ! -j ACCEPT\nCOMMIT\n', /"!" cannot negate -j/],
    ['*filter\n:INPUT REJECT [0:0]\nCOMMIT\n', /policy ACCEPT or DROP/],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --log-prefix x\nCOMMIT\n',
      /--log-prefix needs -j LOG/,
    ],
    [
      '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j LOG --log-prefix "unterminated\nCOMMIT\n',
      /unterminated/,
    ],
  ];
  for (const [text, message] of bad) {
    it(`refuses with a typed error naming the line: ${message.source}`, () => {
      expect(() => parseSave(text)).toThrow(
        expect.objectContaining({
          code: 'UMD_INVALID_ARGUMENT',
          message: expect.stringMatching(message),
        }),
      );
    });
  }
});
