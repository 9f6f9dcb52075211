/**
 * The values the enforcement fuzz's rules are drawn from (fuzz-rules.ts, fuzz-matches.ts):
 * decoys (hosts, nets, ports no packet has), mostly distinct and disjoint, of each other and of
 * the real ones (a run of them is a map), and sometimes the twins' own addresses, ports and
 * interfaces (topology.ts), so that the probes (fuzz-probes.ts) meet the rules; repeated, they
 * close a group and open the next.
 */
import fc from 'fast-check';
import { C, F, F2, S } from './topology.js';

/** The listening ports of peer.mjs: what a probe's port is drawn from. */
export const TCP_PORTS = [22, 80, 8080, 9000];
export const UDP_PORTS = [53, 5353];

/**
 * The ports the kernel picks for a probe without a chosen source port (ip_local_port_range):
 * a drawn range holds all of them or none, since each twin picks its own.
 */
export const EPHEMERAL = { min: 32768, max: 60999 };

const REAL_HOSTS = [C, F, F2, S];
export const REAL_NETS = [
  '10.1.0.0/24',
  '10.2.0.0/24',
  '10.1.0.0/16',
  '10.0.0.0/8',
  '10.1.0.2/31',
  '10.2.0.0/30',
  '10.1.0.0/25',
  '10.2.0.0/23',
];
/** Real ranges: of the peers' ports, of the chosen source ports (20000 on), of all ephemeral ones. */
export const REAL_RANGES = [
  '20:25',
  '50:60',
  '79:81',
  '5000:6000',
  '8000:9000',
  '1:1024',
  '53:53',
  `${EPHEMERAL.min}:${EPHEMERAL.max}`,
  '1024:65535',
  '20000:65535',
  '1:32767',
];

export const host = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...REAL_HOSTS) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.nat(3), fc.integer({ min: 1, max: 250 }))
      .map(([a, b]) => `10.9.${a}.${b}`),
  },
);
export const net = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...REAL_NETS) },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom(16, 24, 24, 24, 25, 26, 28), fc.nat(255), fc.nat(255))
      .map(([bits, a, b]) =>
        bits === 16
          ? `172.${16 + (a % 16)}.0.0/16`
          : prefix(`192.168.${b}.${(a * 16) % 256}`, bits),
      ),
  },
);
export const range = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(...REAL_RANGES) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.nat(60), fc.nat(20), fc.nat(60))
      .map(([n, s, k]) => `${10000 + n * 100 + s}:${10000 + n * 100 + s + k}`),
  },
);
export const inName = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('fc', 'fs', 'lo') },
  { weight: 4, arbitrary: fc.nat(999).map((n) => `eth${n}`) },
);
export const wildcard = fc.constantFrom('f+', 'fc+', 'l+', 'veth+', 'eth1+', '+');

/** One port: a peer's, one of the table's chosen source ports, or a decoy. */
export const portOf = (proto: 'tcp' | 'udp', sports: number[]) =>
  fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...(proto === 'tcp' ? TCP_PORTS : UDP_PORTS)) },
    { weight: 1, arbitrary: fc.constantFrom(...sports) },
    { weight: 5, arbitrary: fc.integer({ min: 1000, max: 19999 }) },
  );

/** `address/bits` with the host bits cleared, as iptables-save writes it. */
export function prefix(address: string, bits: number): string {
  const n = address.split('.').reduce((v, o) => v * 256 + Number(o), 0);
  const masked = bits === 0 ? 0 : (n >>> (32 - bits)) * 2 ** (32 - bits);
  const octets = [24, 16, 8, 0].map((s) => Math.floor(masked / 2 ** s) % 256);
  return `${octets.join('.')}/${bits}`;
}

const u32 = (a: string) => a.split('.').reduce((v, o) => v * 256 + Number(o), 0);
/** Whether `address` is in `net` (`A/N`, or one address). */
export function inNet(address: string, net: string): boolean {
  const [base, bits = '32'] = net.split('/');
  const shift = 32 - Number(bits);
  return Math.floor(u32(address) / 2 ** shift) === Math.floor(u32(base!) / 2 ** shift);
}
