import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Chain, Match, Rule, Table, Target } from '../../model/index.js';
import { compileTable } from './compile.js';
import { classifyCompiled } from './engine.js';
import { parsePacket } from './packet.js';

// Few distinct values, so that packets often hit keyed rules, and chains long enough (>= 16
// rules) to be indexed. Jumps only go to later user chains: tables stay loop-free.
const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '192.168.1.1', '172.16.5.4'];
const PREFIXES = ['/32', '/24', '/16', '/8'];
const PORTS = [22, 53, 80, 443, 8080];

const address = fc.constantFrom(...ADDRESSES);
const cidr = fc.tuple(address, fc.constantFrom(...PREFIXES)).map(([a, p]) => `${a}${p}`);
const port = fc.constantFrom(...PORTS);
const range = fc.oneof(
  port.map((p): [number, number] => [p, p]),
  fc.tuple(port, fc.integer({ min: 0, max: 100 })).map(([p, w]): [number, number] => [p, p + w]),
);

const flagsArb = fc.record({
  mask: fc.constantFrom(0x02, 0x06, 0x12, 0x3f),
  compare: fc.constantFrom(0x00, 0x02, 0x04, 0x12),
  invert: fc.boolean(),
});

/**
 * A rule; with `interfacesOnly` no addresses or ports, so that the lookup keys on interfaces,
 * protocol and TCP flags (addresses key more rules and would be picked first).
 */
function ruleArb(userChains: number, interfacesOnly: boolean): fc.Arbitrary<Rule> {
  const targets: fc.Arbitrary<Target>[] = [
    fc
      .constantFrom('ACCEPT', 'DROP', 'RETURN')
      .map((v) => ({ kind: 'verdict' as const, verdict: v })),
    fc.constant({ kind: 'none' as const }),
  ];
  if (userChains > 0)
    targets.push(
      fc
        .tuple(fc.integer({ min: 0, max: userChains - 1 }), fc.boolean())
        .map(([c, go]) => ({ kind: go ? ('goto' as const) : ('jump' as const), chain: `u${c}` })),
    );
  return fc
    .record(
      {
        source: cidr,
        destination: cidr,
        protocol: fc.constantFrom(6, 17),
        invertSource: fc.boolean(),
        invertPort: fc.boolean(),
        dport: range,
        sport: range,
        inInterface: fc.constantFrom('eth0', 'eth+', 'lo'),
        invertInInterface: fc.boolean(),
        outInterface: fc.constantFrom('eth1', 'lo', 'br+'),
        flags: flagsArb,
        anyFlags: fc.boolean(),
        invertProtocol: fc.boolean(),
        target: fc.oneof(...targets),
      },
      { requiredKeys: ['target', 'protocol', 'flags', 'anyFlags'] },
    )
    .map((all): Rule => {
      // TCP only (protocol keys one value): its group is large enough to key on the flags.
      const r = interfacesOnly
        ? {
            ...all,
            protocol: 6,
            source: undefined,
            destination: undefined,
            dport: undefined,
            sport: undefined,
          }
        : all;
      // Flags on most TCP rules where no address keys more rules than they do.
      const flags = r.protocol === 6 && (interfacesOnly || r.anyFlags) ? r.flags : undefined;
      const match: Match | undefined =
        r.dport || r.sport || flags
          ? {
              kind: r.protocol === 6 ? 'tcp' : 'udp',
              ...(r.dport ? { destinationPorts: r.dport } : {}),
              ...(r.sport ? { sourcePorts: r.sport } : {}),
              ...(flags
                ? { flags: { mask: flags.mask, compare: flags.compare & flags.mask } }
                : {}),
              ...(r.invertPort || flags?.invert
                ? {
                    invert: {
                      ...(r.invertPort ? { destinationPorts: true } : {}),
                      ...(flags?.invert ? { flags: true } : {}),
                    },
                  }
                : {}),
            }
          : undefined;
      const invert = {
        ...(r.invertSource && r.source ? { source: true } : {}),
        ...(r.invertInInterface && r.inInterface ? { inInterface: true } : {}),
        ...(r.invertProtocol ? { protocol: true } : {}),
      };
      return {
        ...(r.source ? { source: r.source } : {}),
        ...(r.destination ? { destination: r.destination } : {}),
        ...(r.inInterface ? { inInterface: r.inInterface } : {}),
        ...(r.outInterface ? { outInterface: r.outInterface } : {}),
        protocol: r.protocol,
        ...(Object.keys(invert).length > 0 ? { invert } : {}),
        ...(match ? { matches: [match] } : {}),
        target: r.target,
      };
    });
}

/** Built-in INPUT, then user chains u0..u2; chain k may only jump to chains after it. */
const tableArb: fc.Arbitrary<Table> = fc
  .boolean()
  .chain((interfacesOnly) =>
    fc.tuple(
      fc.array(ruleArb(3, interfacesOnly), { minLength: 16, maxLength: 60 }),
      fc.array(ruleArb(2, interfacesOnly), { minLength: 0, maxLength: 30 }),
      fc.array(ruleArb(0, interfacesOnly), { minLength: 16, maxLength: 40 }),
      fc.array(ruleArb(0, interfacesOnly), { minLength: 0, maxLength: 20 }),
      fc.constantFrom('ACCEPT' as const, 'DROP' as const),
    ),
  )
  .map(([input, u0, u1, u2, policy]) => {
    const shift = (rules: Rule[], by: number) =>
      rules.map((r) =>
        r.target.kind === 'jump' || r.target.kind === 'goto'
          ? { ...r, target: { ...r.target, chain: `u${Number(r.target.chain.slice(1)) + by}` } }
          : r,
      );
    const chains: Chain[] = [
      { name: 'INPUT', policy, rules: input },
      { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
      { name: 'u0', rules: shift(u0, 1) },
      {
        name: 'u1',
        rules: shift(
          u1.filter((r) => r.target.kind !== 'jump' && r.target.kind !== 'goto'),
          2,
        ),
      },
      { name: 'u2', rules: u2 },
    ];
    return { name: 'filter', chains };
  });

const packetArb = fc.record({
  source: address,
  destination: address,
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  sourcePort: fc.oneof(port, fc.integer({ min: 0, max: 65535 })),
  destinationPort: fc.oneof(port, fc.integer({ min: 0, max: 65535 })),
  inInterface: fc.constantFrom('eth0', 'eth1', 'lo', ''),
  outInterface: fc.constantFrom('eth1', 'br0', 'lo', ''),
  tcpFlags: fc.constantFrom(0x00, 0x02, 0x04, 0x12, 0x10, 0x3f),
  fragment: fc.boolean(),
});

describe('rule lookups and generated scans', () => {
  it('decide every packet as a walk over every rule does: verdict, rule, counted entries', () => {
    fc.assert(
      fc.property(
        tableArb,
        fc.array(packetArb, { minLength: 1, maxLength: 20 }),
        (table, packets) => {
          const indexed = compileTable(table);
          const scanned = compileTable(table, { index: false });
          const linear = compileTable(table, { index: false, scan: false });
          for (const input of packets) {
            const packet = parsePacket({ ...input, time: 0 });
            const expected = classifyCompiled(linear, 'INPUT', packet);
            expect(classifyCompiled(indexed, 'INPUT', packet)).toEqual(expected);
            expect(classifyCompiled(scanned, 'INPUT', packet)).toEqual(expected);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
