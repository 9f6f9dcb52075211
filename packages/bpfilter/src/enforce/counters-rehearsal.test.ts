import { describe, expect, it } from 'vitest';
import { encodeTable } from '../model/index.js';
import { parseSave } from '../text/parse-save.js';
import { countersOf } from './counters.js';
import { helperAnswerFor, rehearseCounters } from './counters-rehearsal.js';
import { readingFromHelper } from './nft-counters.js';
import { planTable } from './translate-table.js';

/** INPUT: rule 1 plain, rules 2-9 one map, then the policy (as nft-counters.test.ts). */
function table() {
  const lines = ['-A INPUT -p icmp -j ACCEPT'];
  for (let i = 1; i <= 8; i++) lines.push(`-A INPUT -s 10.0.0.${i} -p tcp --dport 22 -j DROP`);
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
  return parseSave(text)[0]!;
}

describe("the warm-up's rehearsal of the kernel counters' path", () => {
  it('makes up a helper answer that reads back onto every counted entry, some of them counted', () => {
    const plan = planTable({ name: 'filter', chains: table().chains });
    const reading = readingFromHelper(helperAnswerFor(plan));
    // The chains' rules as the helper prints them, the map's elements by comment.
    expect([...reading.rules.keys()]).toEqual(['INPUT', 'FORWARD', 'OUTPUT']);
    expect(reading.elements.get('vmap0')?.size).toBe(8);
    const counters = countersOf(plan, reading);
    const counted = plan.counted.map(({ entry }) => counters[entry]!);
    expect(counted.some((c) => c.packets > 0n)).toBe(true);
    expect(counted.some((c) => c.packets === 0n)).toBe(true);
  });

  it('changes nothing it is given', () => {
    const model = table();
    const plan = planTable({ name: 'filter', chains: model.chains });
    const { entries } = encodeTable(model);
    const before = entries.slice();
    const planBefore = structuredClone(plan.counted);
    rehearseCounters(plan, entries);
    expect(entries).toEqual(before);
    expect(plan.counted).toEqual(planBefore);
  });
});
