import { describe, expect, it } from 'vitest';
import { decodeReplace, encodeReplace, fromHex } from '../src/abi/index.js';
import { createHandlerCore } from '../src/handler/core.js';
import { classify, readTable, send } from './handler-core-requests.js';
import { loadVectors } from './vectors/replay.js';

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
