import { describe, expect, it } from 'vitest';
import { encodeTable } from '../model/encode.js';
import type { Table } from '../model/types.js';
import { warmUpTable } from '../model/warm-up-table.js';
import { parseSave } from '../text/parse-save.js';
import { compilePacked, compileTable } from './compile-table.js';
import type { EnforcedPlan } from './compile-table.js';
import { packPlan, unpackPlan } from './plan-transfer.js';

function planOfTable(encoded: ReturnType<typeof encodeTable>, netlink = true): EnforcedPlan {
  const input = { name: encoded.name, layout: encoded, entries: encoded.entries, netlink };
  return compileTable(input).plan;
}

/** Packed, moved through a structured clone as the worker posts it, and unpacked. */
function throughWorker(plan: EnforcedPlan): EnforcedPlan {
  const packed = packPlan(plan);
  const moved = structuredClone(packed, { transfer: [packed.fields.buffer as ArrayBuffer] });
  // Moved, not copied: the sender's view is empty.
  expect(packed.fields.byteLength).toBe(0);
  return unpackPlan(moved);
}

describe('a plan sent from the compile worker', () => {
  it('is the plan it was: rules, map elements, segments, a user chain and its return', () => {
    const plan = planOfTable(warmUpTable());
    const kinds = new Set(plan.counted.map((c) => (c.element ? 'element' : c.chain.slice(0, 9))));
    expect([...kinds].sort()).toEqual([
      'FORWARD',
      'INPUT',
      'OUTPUT',
      'bpfilter-',
      'element',
      'warm-up-u',
    ]);
    expect(throughWorker(plan)).toStrictEqual(plan);
  });

  it('is packed by the worker from the layout as packPlan packs the plan', () => {
    const encoded = warmUpTable();
    for (const netlink of [true, false]) {
      const input = { name: encoded.name, layout: encoded, entries: encoded.entries, netlink };
      const packed = compilePacked(input).plan;
      expect(packed).toStrictEqual(packPlan(compileTable(input).plan));
      expect(unpackPlan(packed)).toStrictEqual(compileTable(input).plan);
    }
  });

  it('keeps an entry counted by several nft rules, and a plan without map elements', () => {
    // -m conntrack --ctstate NEW,SNAT: two nft rules for one entry (ct-alternatives.ts).
    const data = new Uint8Array(168);
    const view = new DataView(data.buffer);
    view.setUint16(146, 1, true);
    view.setUint16(150, 8 | 64, true);
    const table: Table = {
      name: 'filter',
      chains: [
        {
          name: 'INPUT',
          policy: 'ACCEPT',
          rules: [
            {
              matches: [{ kind: 'raw', name: 'conntrack', revision: 3, data }],
              target: { kind: 'verdict', verdict: 'DROP' },
            },
          ],
        },
        { name: 'FORWARD', policy: 'DROP', rules: [] },
        { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
      ],
    };
    for (const netlink of [true, false]) {
      const plan = planOfTable(encodeTable(table), netlink);
      expect(plan.counted[0]).toEqual({ entry: 0, chain: 'INPUT', position: 0, rules: 2 });
      expect(plan.counted.some((c) => c.element)).toBe(false);
      expect(throughWorker(plan)).toStrictEqual(plan);
    }
  });

  it('keeps element comments whatever they hold but a NUL', () => {
    const [parsed] = parseSave(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
        '-A INPUT -s 10.0.0.1/32 -p tcp -m tcp --dport 1 -j DROP\nCOMMIT\n',
    );
    const plan = planOfTable(encodeTable({ name: 'filter', chains: parsed!.chains }));
    const odd = ['', 'rule 1', ' a\nb ', 'ü'];
    const counted = odd.map((comment, entry) => ({
      entry,
      chain: 'INPUT',
      position: 0,
      element: { map: 'vmap0', comment },
    }));
    const withOdd = { ...plan, counted };
    expect(throughWorker(withOdd)).toStrictEqual(withOdd);
  });
});
