import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REJECT_WITH } from '../abi/index.js';
import { decodeTable, encodeTable } from '../model/index.js';
import type { Chain, Match, Rule, Table, Target } from '../model/types.js';
import { parseSave } from './parse-save.js';
import { formatSave } from './print-save.js';

const USER_CHAINS = ['alpha', 'beta', 'web-in'];
const octet = fc.integer({ min: 0, max: 255 });
const address = fc
  .tuple(octet, octet, octet, octet, fc.integer({ min: 0, max: 32 }))
  .map(([a, b, c, d, prefix]) => {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const value = (((a << 24) | (b << 16) | (c << 8) | d) & mask) >>> 0;
    return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}/${prefix}`;
  });
const iface = fc.constantFrom('lo', 'eth0', 'eth+', 'wg0', 'br-lan');
const ports = fc
  .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }))
  .map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);
const flag = fc.integer({ min: 0, max: 0x3f });
const tcp = fc.record({
  sourcePorts: fc.option(ports, { nil: undefined }),
  destinationPorts: fc.option(ports, { nil: undefined }),
  mask: flag,
  compare: flag,
  inv: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
});
const target = (chains: string[]): fc.Arbitrary<Target> =>
  fc.oneof(
    fc.constantFrom<Target>(
      { kind: 'verdict', verdict: 'ACCEPT' },
      { kind: 'verdict', verdict: 'DROP' },
      { kind: 'verdict', verdict: 'RETURN' },
      { kind: 'none' },
    ),
    fc
      .constantFrom(...REJECT_WITH.filter((w) => w !== 'icmp-echo-reply' && w !== 'tcp-reset'))
      .map((w): Target => ({ kind: 'reject', with: w })),
    fc
      .record({
        level: fc.integer({ min: 0, max: 7 }),
        prefix: fc
          .string({ maxLength: 29 })
          .filter((s) => !s.includes('\0') && !/[^\x20-\x7e]/.test(s)),
        flags: fc.constantFrom(0, 1, 2, 4, 8, 0x20, 0x2f),
      })
      .map((l): Target => ({ kind: 'log', ...l })),
    ...(chains.length > 0
      ? [
          fc
            .tuple(fc.constantFrom(...chains), fc.boolean())
            .map(([chain, isGoto]): Target => ({ kind: isGoto ? 'goto' : 'jump', chain })),
        ]
      : []),
  );

function rule(chains: string[]): fc.Arbitrary<Rule> {
  return fc
    .record({
      source: fc.option(address, { nil: undefined }),
      destination: fc.option(address, { nil: undefined }),
      inInterface: fc.option(iface, { nil: undefined }),
      outInterface: fc.option(iface, { nil: undefined }),
      proto: fc.constantFrom(0, 1, 6, 17, 47),
      fragment: fc.boolean(),
      inv: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      tcp,
      icmp: fc.record({
        type: fc.integer({ min: 0, max: 255 }),
        code: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
        inv: fc.boolean(),
      }),
      target: target(chains),
    })
    .map((r) => {
      const out: Rule = { target: r.target };
      const invert: NonNullable<Rule['invert']> = {};
      if (r.source !== undefined) [out.source, invert.source] = [r.source, r.inv[0]];
      if (r.destination !== undefined)
        [out.destination, invert.destination] = [r.destination, r.inv[1]];
      if (r.inInterface !== undefined)
        [out.inInterface, invert.inInterface] = [r.inInterface, r.inv[2]];
      if (r.outInterface !== undefined)
        [out.outInterface, invert.outInterface] = [r.outInterface, r.inv[3]];
      if (r.proto !== 0) [out.protocol, invert.protocol] = [r.proto, r.inv[4] && r.proto === 47];
      // tcp/udp/icmp never match a non-first fragment: iptables refuses -f with their matches.
      if (r.fragment && r.proto !== 6 && r.proto !== 17 && r.proto !== 1)
        [out.fragment, invert.fragment] = [true, r.inv[5]];
      const matches: Match[] = [];
      if (r.proto === 6) {
        matches.push({
          kind: 'tcp',
          sourcePorts: r.tcp.sourcePorts,
          destinationPorts: r.tcp.destinationPorts,
          flags: { mask: r.tcp.mask, compare: r.tcp.compare & r.tcp.mask },
          invert: {
            sourcePorts: r.tcp.inv[0],
            destinationPorts: r.tcp.inv[1],
            flags: r.tcp.inv[2],
          },
        });
      } else if (r.proto === 17) {
        matches.push({
          kind: 'udp',
          sourcePorts: r.tcp.sourcePorts,
          destinationPorts: r.tcp.destinationPorts,
          invert: { sourcePorts: r.tcp.inv[0], destinationPorts: r.tcp.inv[1] },
        });
      } else if (r.proto === 1) {
        matches.push({
          kind: 'icmp',
          type: r.icmp.type,
          ...(r.icmp.code !== undefined && r.icmp.type !== 255
            ? { code: [r.icmp.code, r.icmp.code] as [number, number] }
            : {}),
          invert: r.icmp.inv,
        });
      }
      if (matches.length > 0) out.matches = matches;
      if (Object.values(invert).some(Boolean)) out.invert = invert;
      return out;
    });
}

const table: fc.Arbitrary<Table> = fc.subarray(USER_CHAINS).chain((users) =>
  fc
    .record({
      policies: fc.array(fc.constantFrom<'ACCEPT' | 'DROP'>('ACCEPT', 'DROP'), {
        minLength: 3,
        maxLength: 3,
      }),
      builtinRules: fc.array(fc.array(rule(users), { maxLength: 4 }), {
        minLength: 3,
        maxLength: 3,
      }),
      // A user chain jumps only to chains after it, so no table has a loop.
      userRules: fc.tuple(
        ...users.map((_, i) => fc.array(rule(users.slice(i + 1)), { maxLength: 3 })),
      ),
    })
    .map(({ policies, builtinRules, userRules }) => ({
      name: 'filter',
      chains: [
        ...['INPUT', 'FORWARD', 'OUTPUT'].map(
          (name, i): Chain => ({ name, policy: policies[i]!, rules: builtinRules[i]! }),
        ),
        ...users.map((name, i): Chain => ({ name, rules: userRules[i] ?? [] })),
      ],
    })),
);

describe('iptables-save text round trip (property)', () => {
  it('format -> parse -> format is the identity, and parse -> encode -> decode -> format too', () => {
    fc.assert(
      fc.property(table, (t) => {
        const text = formatSave([t]);
        const [parsed] = parseSave(text);
        expect(formatSave([parsed!])).toBe(text);
        const encoded = encodeTable(parsed!);
        expect(formatSave([decodeTable('filter', encoded, encoded.entries)])).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});
