import { describe, expect, it } from 'vitest';
import { Errno, UMD_CMD_CLASSIFY } from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import type { Table } from '../src/model/index.js';
import {
  ACCEPT,
  classify,
  DROP,
  installTable,
  RETURN,
  readTable,
  send,
} from './handler-core-requests.js';

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
