import { describe, expect, it } from 'vitest';
import type { Rule, Table } from '../model/types.js';
import { encodeTable } from '../model/encode.js';
import { compileTable } from './compile-table.js';
import { planTable } from './translate-table.js';
import { ttlSteps } from './ttl-steps.js';

const ttl = (mode: number, n: number) => new Uint8Array([mode, n, 0, 0, 0, 0, 0, 0]);

/** Walks the steps in rule order as nft does: each matching step counts and sets. */
function walk(steps: { from: number; to: number; set: number }[], old: number) {
  let value = old;
  let matched = 0;
  for (const step of steps)
    if (value >= step.from && value <= step.to) {
      matched++;
      value = step.set;
    }
  return { value, matched };
}

describe('-j TTL --ttl-inc/--ttl-dec as one nft rule per old TTL', () => {
  it('matches every TTL exactly once and writes what xt_HL writes (clamped at 255 and 0)', () => {
    for (const n of [1, 3, 64, 200, 255]) {
      const inc = ttlSteps(ttl(1, n), 0)!;
      const dec = ttlSteps(ttl(2, n), 0)!;
      expect(inc).toHaveLength(256 - n);
      for (let old = 0; old <= 255; old++) {
        expect(walk(inc, old), `inc ${n} of ${old}`).toEqual({
          value: Math.min(old + n, 255),
          matched: 1,
        });
        expect(walk(dec, old), `dec ${n} of ${old}`).toEqual({
          value: Math.max(old - n, 0),
          matched: 1,
        });
      }
    }
    expect(ttlSteps(ttl(0, 64), 0)).toBeUndefined();
  });

  it('lays the rules out in both back ends alike, the entry counted on all of them', () => {
    const dec: Rule = {
      target: { kind: 'raw', name: 'TTL', revision: 0, data: ttl(2, 250) },
    };
    const table: Table = {
      name: 'mangle',
      chains: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].map((name) => ({
        name,
        policy: 'ACCEPT',
        rules: name === 'POSTROUTING' ? [dec] : [],
      })),
    };
    const plan = planTable(table);
    const rules = plan.commands.filter(
      (c) => (c.add as { rule?: { chain: string } }).rule?.chain === 'POSTROUTING',
    );
    expect(rules).toHaveLength(6 + 1);
    expect((rules[0]!.add as { rule: { expr: unknown[] } }).rule.expr).toEqual([
      {
        match: {
          op: '==',
          left: { payload: { protocol: 'ip', field: 'ttl' } },
          right: { range: [0, 250] },
        },
      },
      { counter: null },
      { mangle: { key: { payload: { protocol: 'ip', field: 'ttl' } }, value: 0 } },
    ]);
    const counted = plan.counted.filter((c) => c.chain === 'POSTROUTING');
    expect(counted.map((c) => [c.position, c.rules])).toEqual([
      [0, 6],
      [6, undefined],
    ]);
    const encoded = encodeTable(table);
    const input = { name: 'mangle', layout: encoded, entries: encoded.entries };
    const viaNetlink = compileTable({ ...input, netlink: true });
    expect(viaNetlink.batch).toBeDefined();
    expect(viaNetlink.plan).toEqual(compileTable({ ...input, netlink: false }).plan);
  });
});
