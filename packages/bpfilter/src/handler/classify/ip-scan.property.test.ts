import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Rule, Table } from '../../model/index.js';
import { compileTable } from './compile.js';
import { classifyCompiled } from './engine.js';
import { parsePacket } from './packet.js';

// Chains long enough to span several generated functions, of rules the lookup cannot key
// (inverted, wildcard or absent fields), mostly counting rules: a packet walks on after a
// match, so the scan restarts from the middle of a function and crosses into the next.
const rule: fc.Arbitrary<Rule> = fc
  .record({
    inInterface: fc.option(fc.constantFrom('eth+', 'br-1+', 'e+', 'docker0', 'lo'), {
      nil: undefined,
    }),
    invertIn: fc.boolean(),
    source: fc.option(fc.constantFrom('10.0.0.0/8', '10.1.0.0/16', '0.0.0.0/0'), {
      nil: undefined,
    }),
    invertSource: fc.boolean(),
    protocol: fc.constantFrom(0, 6, 17),
    invertProtocol: fc.boolean(),
    fragment: fc.constantFrom(undefined, 'only', 'not'),
    drop: fc.integer({ min: 0, max: 99 }),
  })
  .map((r): Rule => {
    const invert = {
      ...(r.inInterface && r.invertIn ? { inInterface: true } : {}),
      ...(r.source && r.invertSource ? { source: true } : {}),
      ...(r.protocol && r.invertProtocol ? { protocol: true } : {}),
      ...(r.fragment === 'not' ? { fragment: true } : {}),
    };
    return {
      ...(r.inInterface ? { inInterface: r.inInterface } : {}),
      ...(r.source ? { source: r.source } : {}),
      ...(r.protocol ? { protocol: r.protocol } : {}),
      ...(r.fragment ? { fragment: true } : {}),
      ...(Object.keys(invert).length > 0 ? { invert } : {}),
      target: r.drop === 0 ? { kind: 'verdict', verdict: 'DROP' } : { kind: 'none' },
    };
  });

const table: fc.Arbitrary<Table> = fc
  .array(rule, { minLength: 1500, maxLength: 3000 })
  .map((rules) => ({
    name: 'filter',
    chains: [
      { name: 'INPUT', policy: 'ACCEPT', rules },
      { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
    ],
  }));

const packet = fc.record({
  source: fc.constantFrom('10.0.0.1', '10.1.2.3', '192.0.2.1'),
  destination: fc.constant('198.51.100.1'),
  protocol: fc.constantFrom('tcp' as const, 'udp' as const, 1),
  inInterface: fc.constantFrom('eth0', 'br-12', 'docker0', 'lo', 'e', ''),
  fragment: fc.boolean(),
});

describe('generated IP scans', () => {
  it('decide and count as the closures do, across the generated functions of a long chain', () => {
    fc.assert(
      fc.property(table, fc.array(packet, { minLength: 1, maxLength: 8 }), (t, packets) => {
        const scanned = compileTable(t, { index: false });
        const closures = compileTable(t, { index: false, scan: false });
        expect(scanned.chains[0]!.scan).not.toBeNull();
        for (const input of packets) {
          const p = parsePacket({ ...input, time: 0 });
          expect(classifyCompiled(scanned, 'INPUT', p)).toEqual(
            classifyCompiled(closures, 'INPUT', p),
          );
        }
      }),
      { numRuns: 8 },
    );
  });
});
