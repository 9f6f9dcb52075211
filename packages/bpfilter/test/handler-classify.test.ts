import { describe, expect, it } from 'vitest';
import {
  Errno,
  UMD_CMD_CLASSIFY,
  UMD_CMD_TABLE_NAMES,
  decodeReplace,
  encodeReplace,
  fromHex,
} from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import type { Table } from '../src/model/index.js';
import { classify, installTable, readTable, send, tableInfo } from './handler-core-requests.js';
import { loadVectors } from './vectors/replay.js';

const ACCEPT = { kind: 'verdict', verdict: 'ACCEPT' } as const;
const DROP = { kind: 'verdict', verdict: 'DROP' } as const;
const RETURN = { kind: 'verdict', verdict: 'RETURN' } as const;

describe('classification of the table iptables-legacy built in the vectors', () => {
  const step = loadVectors('basic.jsonl').find((s) => s.iptables.startsWith('-A OUTPUT ! -o lo'));
  const replace = decodeReplace(
    fromHex(step?.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')?.hex ?? ''),
  );
  const core = createHandlerCore();
  // Installed on a fresh handler: the table it replaces is the initial one (4 entries).
  expect(send(core, true, 64, encodeReplace({ ...replace, numCounters: 4 })).status).toBe(0);

  it('INPUT: -i lo -j ACCEPT', () => {
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '127.0.0.1',
        destination: '127.0.0.1',
        inInterface: 'lo',
        protocol: 'tcp',
        destinationPort: 22,
      }),
    ).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'INPUT', rule: 1 } });
  });
  it('INPUT: -s 10.0.0.0/8 -p tcp --dport 22 -j DROP', () => {
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.1.2.3',
        destination: '10.9.9.9',
        inInterface: 'eth1',
        protocol: 'tcp',
        destinationPort: 22,
      }),
    ).toMatchObject({ verdict: 'DROP', rule: { chain: 'INPUT', rule: 2 } });
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '11.1.2.3',
        destination: '10.9.9.9',
        inInterface: 'eth1',
        protocol: 'tcp',
        destinationPort: 22,
      }),
    ).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'INPUT', policy: true } });
  });
  it('INPUT: -i eth0 -j web, then ACCEPT on port 80 or RETURN to the policy', () => {
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '192.168.1.1',
        destination: '10.0.0.1',
        inInterface: 'eth0',
        protocol: 'tcp',
        destinationPort: 80,
      }),
    ).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'web', rule: 1 } });
    const returned = classify(core, 'filter', 'INPUT', {
      source: '192.168.1.1',
      destination: '10.0.0.1',
      inInterface: 'eth0',
      protocol: 'tcp',
      destinationPort: 81,
      length: 100,
    });
    expect(returned).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'INPUT', policy: true } });
    expect(returned.counters.map((c) => [c.chain, c.rule ?? 'policy'])).toEqual([
      ['INPUT', 3],
      ['web', 2],
      ['INPUT', 'policy'],
    ]);
  });
  it('FORWARD: -p udp ! --sport 53 -j REJECT --reject-with icmp-port-unreachable', () => {
    expect(
      classify(core, 'filter', 'FORWARD', {
        source: '1.1.1.1',
        destination: '2.2.2.2',
        protocol: 'udp',
        sourcePort: 54,
        destinationPort: 53,
      }),
    ).toMatchObject({
      verdict: 'REJECT',
      rejectWith: 'icmp-port-unreachable',
      rule: { chain: 'FORWARD', rule: 1 },
    });
    expect(
      classify(core, 'filter', 'FORWARD', {
        source: '1.1.1.1',
        destination: '2.2.2.2',
        protocol: 'udp',
        sourcePort: 53,
      }),
    ).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'FORWARD', policy: true } });
  });
  it('OUTPUT: LOG is not terminal; --tcp-flags SYN,ACK SYN with ! -o lo', () => {
    const ping = classify(core, 'filter', 'OUTPUT', {
      source: '10.0.0.1',
      destination: '8.8.8.8',
      outInterface: 'eth0',
      protocol: 'icmp',
      icmpType: 8,
    });
    expect(ping).toMatchObject({
      verdict: 'ACCEPT',
      rule: { chain: 'OUTPUT', policy: true },
      logs: [{ chain: 'OUTPUT', rule: 1, prefix: 'ping ', level: 4 }],
    });
    expect(
      classify(core, 'filter', 'OUTPUT', {
        source: '10.0.0.1',
        destination: '8.8.8.8',
        protocol: 'icmp',
        icmpType: 0,
      }).logs,
    ).toEqual([]);
    const syn = {
      source: '10.0.0.1',
      destination: '192.0.2.5',
      outInterface: 'eth0',
      protocol: 'tcp',
      tcpFlags: ['SYN'],
    } as const;
    expect(classify(core, 'filter', 'OUTPUT', syn)).toMatchObject({
      verdict: 'DROP',
      rule: { chain: 'OUTPUT', rule: 2 },
    });
    expect(classify(core, 'filter', 'OUTPUT', { ...syn, tcpFlags: ['SYN', 'ACK'] })).toMatchObject({
      verdict: 'ACCEPT',
      rule: { policy: true },
    });
    expect(classify(core, 'filter', 'OUTPUT', { ...syn, outInterface: 'lo' })).toMatchObject({
      verdict: 'ACCEPT',
      rule: { policy: true },
    });
    expect(classify(core, 'filter', 'OUTPUT', { ...syn, destination: '192.0.3.5' })).toMatchObject({
      verdict: 'ACCEPT',
      rule: { policy: true },
    });
  });
  it('counts matched rules like the kernel, visible through GET_ENTRIES', () => {
    const table = readTable(core, 'filter');
    const input = table.chains.find((c) => c.name === 'INPUT');
    expect(input?.rules[0]?.counters).toEqual({ packets: 1n, bytes: 40n });
    expect(input?.rules[2]?.counters).toEqual({ packets: 2n, bytes: 140n });
    expect(input?.counters).toEqual({ packets: 2n, bytes: 140n });
    expect(table.chains.find((c) => c.name === 'web')?.rules[1]?.counters).toEqual({
      packets: 1n,
      bytes: 100n,
    });
  });
});

describe('classification engine', () => {
  const table: Table = {
    name: 'filter',
    chains: [
      {
        name: 'INPUT',
        policy: 'DROP',
        rules: [
          { fragment: true, target: DROP },
          {
            protocol: 6,
            matches: [
              { kind: 'tcp', destinationPorts: [1000, 2000], invert: { destinationPorts: true } },
              { kind: 'tcp', sourcePorts: [5, 5] },
            ],
            target: ACCEPT,
          },
          {
            protocol: 6,
            matches: [{ kind: 'tcp', option: 8 }],
            target: { kind: 'jump', chain: 'opts' },
          },
          {
            protocol: 1,
            matches: [{ kind: 'icmp', type: 3, code: [1, 3] }],
            target: { kind: 'reject', with: 'icmp-host-prohibited' },
          },
          {
            protocol: 1,
            matches: [{ kind: 'icmp', type: 8, invert: true }],
            target: { kind: 'verdict', verdict: 'QUEUE' },
          },
          {
            source: '10.0.0.0/8',
            invert: { source: true },
            inInterface: 'eth+',
            target: { kind: 'goto', chain: 'gone' },
          },
          {
            destination: '10.0.0.1',
            protocol: 17,
            invert: { protocol: true },
            target: { kind: 'jump', chain: 'deep' },
          },
          {
            protocol: 17,
            matches: [{ kind: 'raw', name: 'cpu', revision: 0, data: new Uint8Array(8) }],
            target: ACCEPT,
          },
          {
            protocol: 47,
            target: { kind: 'raw', name: 'NFLOG', revision: 0, data: new Uint8Array(76) },
          },
          { protocol: 1, target: RETURN },
        ],
      },
      { name: 'FORWARD', rules: [] },
      {
        name: 'OUTPUT',
        policy: 'DROP',
        rules: [
          { outInterface: 'eth0', target: { kind: 'log', level: 6, prefix: 'out: ', flags: 1 } },
        ],
      },
      { name: 'deep', rules: [{ target: { kind: 'jump', chain: 'deeper' } }, { target: ACCEPT }] },
      { name: 'deeper', rules: [{ source: '10.0.0.9', invert: { source: true }, target: DROP }] },
      {
        name: 'gone',
        rules: [
          { protocol: 6, target: RETURN },
          { target: { kind: 'verdict', verdict: 'ACCEPT' } },
        ],
      },
      {
        name: 'opts',
        rules: [
          {
            protocol: 6,
            matches: [
              { kind: 'tcp', flags: { mask: 0x3f, compare: 0x02 }, invert: { flags: true } },
            ],
            target: DROP,
          },
        ],
      },
    ],
  };
  const core = createHandlerCore();
  installTable(core, table);
  const tcp = {
    source: '10.0.0.9',
    destination: '10.0.0.1',
    protocol: 'tcp',
    sourcePort: 5,
    destinationPort: 80,
  } as const;

  it('fragments: -f matches only non-first fragments; tcp never matches them', () => {
    expect(classify(core, 'filter', 'INPUT', { ...tcp, fragment: true })).toMatchObject({
      verdict: 'DROP',
      rule: { chain: 'INPUT', rule: 1 },
    });
  });
  it('port ranges, inverted ranges, several matches in one rule', () => {
    expect(classify(core, 'filter', 'INPUT', tcp)).toMatchObject({
      verdict: 'ACCEPT',
      rule: { rule: 2 },
    });
    expect(classify(core, 'filter', 'INPUT', { ...tcp, destinationPort: 1500 }).rule).not.toEqual({
      chain: 'INPUT',
      rule: 2,
    });
    expect(classify(core, 'filter', 'INPUT', { ...tcp, sourcePort: 6 }).rule).not.toEqual({
      chain: 'INPUT',
      rule: 2,
    });
  });
  it('tcp option and inverted flags inside a jumped-to chain', () => {
    const withOption = { ...tcp, sourcePort: 6, tcpOptions: [8] };
    expect(classify(core, 'filter', 'INPUT', { ...withOption, tcpFlags: ['ACK'] })).toMatchObject({
      verdict: 'DROP',
      rule: { chain: 'opts', rule: 1 },
    });
    // SYN-only passes opts (inverted flags), returns to INPUT rule 4 onwards: deep -> deeper -> back -> ACCEPT.
    expect(classify(core, 'filter', 'INPUT', { ...withOption, tcpFlags: ['SYN'] })).toMatchObject({
      verdict: 'ACCEPT',
      rule: { chain: 'deep', rule: 2 },
    });
  });
  it('icmp types and code ranges, inverted icmp', () => {
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: 'icmp',
        icmpType: 3,
        icmpCode: 2,
      }),
    ).toMatchObject({ verdict: 'REJECT', rejectWith: 'icmp-host-prohibited' });
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.9',
        destination: '10.0.0.1',
        protocol: 'icmp',
        icmpType: 3,
        icmpCode: 4,
      }),
    ).toMatchObject({ verdict: 'QUEUE', rule: { rule: 5 } });
    // echo-request is not "! --icmp-type 8": falls through to -p icmp -j RETURN, i.e. the policy.
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.9',
        destination: '10.0.0.3',
        protocol: 'icmp',
        icmpType: 8,
      }),
    ).toMatchObject({ verdict: 'DROP', rule: { chain: 'INPUT', policy: true } });
  });
  it('inverted source with a wildcard interface, goto: RETURN goes to the policy', () => {
    const outsider = {
      source: '192.0.2.1',
      destination: '10.0.0.1',
      inInterface: 'eth7',
      protocol: 'tcp',
      sourcePort: 9,
      destinationPort: 1500,
    } as const;
    expect(classify(core, 'filter', 'INPUT', outsider)).toMatchObject({
      verdict: 'DROP',
      rule: { chain: 'INPUT', policy: true },
    });
    expect(classify(core, 'filter', 'INPUT', { ...outsider, protocol: 'udp' })).toMatchObject({
      verdict: 'ACCEPT',
      rule: { chain: 'gone', rule: 2 },
    });
    expect(
      classify(core, 'filter', 'INPUT', { ...outsider, inInterface: 'wlan0', protocol: 'udp' })
        .rule,
    ).not.toMatchObject({ chain: 'gone' });
  });
  it('inverted protocol and destination through nested jumps', () => {
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.8',
        destination: '10.0.0.1',
        protocol: 50,
      }),
    ).toMatchObject({ verdict: 'DROP', rule: { chain: 'deeper', rule: 1 } });
    // Protocol 17 is excluded by "! -p udp": on to the unknown match of rule 8.
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.8',
        destination: '10.0.0.1',
        protocol: 'udp',
      }),
    ).toMatchObject({ verdict: 'CANNOT_EVALUATE', rule: { rule: 8 } });
    // Another destination skips the jump entirely.
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.8',
        destination: '10.0.0.2',
        protocol: 50,
      }),
    ).toMatchObject({ verdict: 'DROP', rule: { chain: 'INPUT', policy: true } });
  });
  it('cannot evaluate an unknown match once the packet reaches it, and counts nothing', () => {
    const before = readTable(core, 'filter');
    const result = classify(core, 'filter', 'INPUT', {
      source: '10.0.0.9',
      destination: '10.0.0.3',
      protocol: 'udp',
    });
    expect(result).toMatchObject({
      verdict: 'CANNOT_EVALUATE',
      rule: { chain: 'INPUT', rule: 8 },
      cannotEvaluate: { kind: 'match', name: 'cpu' },
      counters: [],
    });
    expect(readTable(core, 'filter')).toEqual(before);
  });
  it('cannot evaluate an unknown target', () => {
    expect(
      classify(core, 'filter', 'INPUT', {
        source: '10.0.0.9',
        destination: '10.0.0.3',
        protocol: 47,
      }),
    ).toMatchObject({
      verdict: 'CANNOT_EVALUATE',
      rule: { rule: 9 },
      cannotEvaluate: { kind: 'target', name: 'NFLOG' },
    });
  });
  it('LOG then the policy on OUTPUT', () => {
    expect(
      classify(core, 'filter', 'OUTPUT', {
        source: '10.0.0.1',
        destination: '1.1.1.1',
        outInterface: 'eth0',
      }),
    ).toMatchObject({
      verdict: 'DROP',
      logs: [{ chain: 'OUTPUT', rule: 1, prefix: 'out: ', level: 6, flags: 1 }],
      rule: { policy: true },
    });
  });
  it('refuses malformed requests with -EINVAL and unknown tables with -ENOENT', () => {
    const classifyStatus = (json: string) =>
      send(core, false, UMD_CMD_CLASSIFY, new TextEncoder().encode(json)).status;
    expect(classifyStatus('{')).toBe(-Errno.EINVAL);
    expect(classifyStatus('[]')).toBe(-Errno.EINVAL);
    expect(
      classifyStatus(JSON.stringify({ table: 'filter', hook: 'PREROUTING', packet: tcp })),
    ).toBe(-Errno.EINVAL);
    expect(
      classifyStatus(
        JSON.stringify({ table: 'filter', hook: 'INPUT', packet: { ...tcp, source: 'x' } }),
      ),
    ).toBe(-Errno.EINVAL);
    expect(
      classifyStatus(
        JSON.stringify({
          table: 'filter',
          hook: 'INPUT',
          packet: { ...tcp, destinationPort: 70000 },
        }),
      ),
    ).toBe(-Errno.EINVAL);
    expect(classifyStatus(JSON.stringify({ table: 'broute', hook: 'INPUT', packet: tcp }))).toBe(
      -Errno.ENOENT,
    );
  });
});

describe('rules without a target (iptables -A CHAIN ... with no -j)', () => {
  const NONE = { kind: 'none' } as const;
  const table: Table = {
    name: 'filter',
    chains: [
      {
        name: 'INPUT',
        policy: 'DROP',
        rules: [
          { source: '1.2.3.4', target: NONE },
          { protocol: 6, matches: [{ kind: 'tcp', destinationPorts: [22, 22] }], target: ACCEPT },
          { target: { kind: 'jump', chain: 'count' } },
          { protocol: 6, matches: [{ kind: 'tcp', destinationPorts: [443, 443] }], target: NONE },
        ],
      },
      { name: 'FORWARD', rules: [] },
      {
        name: 'OUTPUT',
        policy: 'ACCEPT',
        rules: [
          { protocol: 6, matches: [{ kind: 'tcp', destinationPorts: [443, 443] }], target: NONE },
        ],
      },
      {
        name: 'count',
        rules: [
          { protocol: 17, target: NONE },
          { protocol: 17, matches: [{ kind: 'udp', destinationPorts: [53, 53] }], target: DROP },
        ],
      },
    ],
  };
  const core = createHandlerCore();
  installTable(core, table);

  it('count the packet and let the later rules (or the policy) decide', () => {
    const ssh = classify(core, 'filter', 'INPUT', {
      source: '1.2.3.4',
      destination: '10.0.0.1',
      protocol: 'tcp',
      destinationPort: 22,
      length: 60,
    });
    expect(ssh).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'INPUT', rule: 2 } });
    expect(ssh.counters).toEqual([
      { chain: 'INPUT', rule: 1, packets: 1, bytes: 60 },
      { chain: 'INPUT', rule: 2, packets: 1, bytes: 60 },
    ]);
    // Not from 1.2.3.4: rule 1 does not match; rule 4 counts HTTPS, then the policy drops it.
    const https = classify(core, 'filter', 'INPUT', {
      source: '5.6.7.8',
      destination: '10.0.0.1',
      protocol: 'tcp',
      destinationPort: 443,
      length: 100,
    });
    expect(https).toMatchObject({ verdict: 'DROP', rule: { chain: 'INPUT', policy: true } });
    expect(https.counters.map((c) => [c.chain, c.rule ?? 'policy', c.packets])).toEqual([
      ['INPUT', 3, 1],
      ['count', 'policy', 1],
      ['INPUT', 4, 1],
      ['INPUT', 'policy', 1],
    ]);
    expect(
      classify(core, 'filter', 'OUTPUT', {
        source: '10.0.0.1',
        destination: '5.6.7.8',
        protocol: 'tcp',
        destinationPort: 443,
      }),
    ).toMatchObject({
      verdict: 'ACCEPT',
      rule: { chain: 'OUTPUT', policy: true },
      counters: [
        { chain: 'OUTPUT', rule: 1, packets: 1 },
        { chain: 'OUTPUT', policy: true },
      ],
    });
  });

  it('inside a user chain: counts, then the next rule of that chain decides', () => {
    const dns = classify(core, 'filter', 'INPUT', {
      source: '1.2.3.4',
      destination: '10.0.0.1',
      protocol: 'udp',
      destinationPort: 53,
      length: 70,
    });
    expect(dns).toMatchObject({ verdict: 'DROP', rule: { chain: 'count', rule: 2 } });
    expect(dns.counters.map((c) => [c.chain, c.rule ?? 'policy', c.packets, c.bytes])).toEqual([
      ['INPUT', 1, 2, 130],
      ['INPUT', 3, 2, 170],
      ['count', 1, 1, 70],
      ['count', 2, 1, 70],
    ]);
  });

  it('keeps those counters in the table (GET_ENTRIES), and reads the rules back without a target', () => {
    const back = readTable(core, 'filter');
    const input = back.chains.find((c) => c.name === 'INPUT')!;
    expect(input.rules[0]).toMatchObject({
      source: '1.2.3.4/32',
      target: NONE,
      counters: { packets: 2n, bytes: 130n },
    });
    expect(input.rules[3]).toMatchObject({ target: NONE, counters: { packets: 1n, bytes: 100n } });
    expect(back.chains.find((c) => c.name === 'count')!.rules[0]).toMatchObject({
      target: NONE,
      counters: { packets: 1n, bytes: 70n },
    });
  });
});

describe('table names', () => {
  it('lists the tables in use, newest first, as /proc/net/ip_tables_names does', () => {
    const core = createHandlerCore();
    const names = () =>
      new TextDecoder().decode(send(core, false, UMD_CMD_TABLE_NAMES, new Uint8Array()).body);
    expect(names()).toBe('');
    tableInfo(core, 'filter');
    tableInfo(core, 'raw');
    expect(names()).toBe('raw\nfilter\n');
    tableInfo(core, 'mangle');
    tableInfo(core, 'filter');
    expect(names()).toBe('mangle\nraw\nfilter\n');
  });
});
