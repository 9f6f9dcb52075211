/** What the API tests share: a Bpfilter per test (stopped after it), a table, packets. */
import { Bpfilter, type Table } from '@umd/bpfilter';
import { afterEach, expect } from 'vitest';
import { isAlive } from './helpers.js';

const live: Bpfilter[] = [];

/** A `Bpfilter` of its own, stopped after the test (and its handler gone). */
export function bpfilter(): Bpfilter {
  const instance = new Bpfilter();
  live.push(instance);
  return instance;
}
afterEach(async () => {
  const pids = live
    .map((b) => b.sockopt?.manager.pid)
    .filter((pid): pid is number => pid !== undefined);
  await Promise.all(live.splice(0).map((b) => b.stop()));
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

export const zero = { packets: 0n, bytes: 0n };
/** A table using every supported feature. */
export const TABLE: Table = {
  name: 'filter',
  chains: [
    {
      name: 'INPUT',
      policy: 'DROP',
      counters: zero,
      rules: [
        { inInterface: 'lo', target: { kind: 'verdict', verdict: 'ACCEPT' }, counters: zero },
        {
          source: '10.0.0.0/8',
          protocol: 6,
          invert: { source: true },
          matches: [
            { kind: 'tcp', destinationPorts: [22, 22], flags: { mask: 0x12, compare: 0x02 } },
          ],
          target: { kind: 'log', level: 4, prefix: 'ssh ', flags: 0 },
          counters: zero,
        },
        {
          protocol: 6,
          matches: [{ kind: 'tcp', destinationPorts: [22, 22] }],
          target: { kind: 'jump', chain: 'ssh' },
          counters: zero,
        },
        {
          protocol: 17,
          matches: [{ kind: 'udp', sourcePorts: [53, 53], invert: { sourcePorts: true } }],
          target: { kind: 'reject', with: 'icmp-port-unreachable' },
          counters: zero,
        },
        {
          protocol: 1,
          matches: [{ kind: 'icmp', type: 8 }],
          target: { kind: 'goto', chain: 'ping' },
          counters: zero,
        },
        {
          outInterface: 'eth+',
          fragment: true,
          target: { kind: 'verdict', verdict: 'DROP' },
          counters: zero,
        },
      ],
    },
    { name: 'FORWARD', policy: 'ACCEPT', counters: zero, rules: [] },
    { name: 'OUTPUT', policy: 'ACCEPT', counters: zero, rules: [] },
    {
      name: 'ping',
      counters: zero,
      rules: [
        {
          destination: '192.0.2.1/32',
          target: { kind: 'verdict', verdict: 'ACCEPT' },
          counters: zero,
        },
      ],
    },
    {
      name: 'ssh',
      counters: zero,
      rules: [
        { source: '10.0.0.0/8', target: { kind: 'verdict', verdict: 'ACCEPT' }, counters: zero },
        { target: { kind: 'verdict', verdict: 'RETURN' }, counters: zero },
      ],
    },
  ],
};

/** An SSH SYN from inside 10.0.0.0/8, and one from outside. */
export const SSH = {
  source: '10.1.2.3',
  destination: '192.0.2.1',
  protocol: 'tcp' as const,
  sourcePort: 40000,
  destinationPort: 22,
  inInterface: 'eth0',
  tcpFlags: ['SYN'],
  length: 60,
};
export const SSH_OUTSIDE = { ...SSH, source: '203.0.113.9' };
