/**
 * The traffic of `COUNTED` (scenarios.ts) as packet descriptions: what `classify` is given so that
 * its counters can be compared with the kernel's after the same packets.
 */
import type { PacketDescription } from '@umd/bpfilter';
import { C, F, S } from './topology.js';

const echo = (type: number, source: string, destination: string) =>
  ({ source, destination, protocol: 'icmp', icmpType: type, length: 84 }) as const;

/** The packets F's filter table saw in that traffic, in order, by hook. */
export const COUNTED_PACKETS: [hook: string, packet: PacketDescription][] = [
  ...[1, 2].flatMap((): [string, PacketDescription][] => [
    ['INPUT', { ...echo(8, C, F), inInterface: 'fc' }],
    ['OUTPUT', { ...echo(0, F, C), outInterface: 'fc' }],
  ]),
  ['FORWARD', { ...echo(8, C, S), inInterface: 'fc', outInterface: 'fs' }],
  ['FORWARD', { ...echo(0, S, C), inInterface: 'fs', outInterface: 'fc' }],
  // UDP to 53: REJECTed; the port-unreachable error (IP + ICMP + the 33-byte datagram) goes out.
  [
    'INPUT',
    {
      source: C,
      destination: F,
      protocol: 'udp',
      destinationPort: 53,
      length: 33,
      inInterface: 'fc',
    },
  ],
  [
    'OUTPUT',
    {
      source: F,
      destination: C,
      protocol: 'icmp',
      icmpType: 3,
      icmpCode: 3,
      length: 61,
      outInterface: 'fc',
    },
  ],
  // UDP to 5353 twice: counted by the rule without a target, accepted; the reply names C.
  ...[1, 2].flatMap((): [string, PacketDescription][] => [
    [
      'INPUT',
      {
        source: C,
        destination: F,
        protocol: 'udp',
        destinationPort: 5353,
        length: 33,
        inInterface: 'fc',
      },
    ],
    [
      'OUTPUT',
      {
        source: F,
        destination: C,
        protocol: 'udp',
        sourcePort: 5353,
        length: 36,
        outInterface: 'fc',
      },
    ],
  ]),
  // A SYN to 22 (with its options: 60 bytes) gets a RST (40 bytes); a SYN to 9000 is dropped.
  [
    'INPUT',
    {
      source: C,
      destination: F,
      protocol: 'tcp',
      destinationPort: 22,
      tcpFlags: ['SYN'],
      length: 60,
      inInterface: 'fc',
    },
  ],
  [
    'OUTPUT',
    {
      source: F,
      destination: C,
      protocol: 'tcp',
      sourcePort: 22,
      tcpFlags: ['RST', 'ACK'],
      length: 40,
      outInterface: 'fc',
    },
  ],
  [
    'INPUT',
    {
      source: C,
      destination: F,
      protocol: 'tcp',
      destinationPort: 9000,
      tcpFlags: ['SYN'],
      length: 60,
      inInterface: 'fc',
    },
  ],
];
