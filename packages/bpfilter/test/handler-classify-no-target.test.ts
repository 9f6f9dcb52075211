import { describe, expect, it } from 'vitest';
import { createHandlerCore } from '../src/handler/core.js';
import type { Table } from '../src/model/index.js';
import { ACCEPT, classify, DROP, installTable, readTable } from './handler-core-requests.js';

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
