import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  factsOf,
  keyedPacket,
  keyOfPacket,
  line,
  matches,
  rulesOf,
  segment,
  segmentable,
  untilEnd,
} from './grouping.testing.js';

describe('segments of exact-key rules behind key-set lookups', () => {
  it('makes one segment of interleaved shapes, closing it at a fifth shape', () => {
    // Five shapes whose rules may match the same packets as another shape's: no map holds them.
    const shaped = [
      (i: number) => `-A INPUT -s 10.0.${i}.1 -d 192.0.2.1 -j DROP`,
      (i: number) => `-A INPUT -i eth0 -p udp --dport ${i} -j DROP`,
      (i: number) => `-A INPUT -d 192.0.2.1 -p tcp --dport ${i} -j ACCEPT`,
      (i: number) => `-A INPUT -s 10.1.0.${i} -j DROP`,
      (i: number) => `-A INPUT -i eth${i} -j ACCEPT`,
    ];
    const mixed = (n: number, shapes: number[]) =>
      Array.from({ length: n }, (_, i) => shaped[shapes[i % shapes.length]!]!(i));
    const items = (lines: string[]) => {
      const rules = rulesOf(lines);
      return segment(rules).map((item) =>
        item.kind === 'segment' ? item.shapes.length : item.kind,
      );
    };
    expect(items(mixed(16, [0, 1]))).toEqual([2]);
    expect(items(mixed(7, [0, 1]))).toEqual(Array(7).fill('rule'));
    // A fifth shape closes the segment of four and starts the next run.
    expect(items([...mixed(8, [0, 1, 2, 3]), ...mixed(8, [4, 0])])).toEqual([4, 2]);
    // A RETURN ends a run (in the segment's chain it would return to the chain that entered).
    const back = '-A INPUT -s 10.9.9.9 -j RETURN';
    expect(items([...mixed(8, [0, 1]), back, ...mixed(8, [0, 1])])).toEqual([2, 'rule', 2]);

    // A long run: segments of about sqrt(1,600 rules x 2 shapes x 6) = 139 rules, in order.
    const pairs = Array.from({ length: 1600 }, (_, i) =>
      i % 2 === 0
        ? `-A INPUT -s 10.0.${i >> 8}.${i & 255} -d 192.0.2.1 -j DROP`
        : `-A INPUT -i eth0 -p udp --dport ${i} -j DROP`,
    );
    const long = segment(rulesOf(pairs));
    expect(long.map((item) => item.kind)).toEqual(Array(12).fill('segment'));
    const pieces = long.map((item) => (item.kind === 'segment' ? item.members : []));
    expect(pieces.flat()).toEqual(Array.from({ length: 1600 }, (_, i) => i));
    for (const members of pieces) expect(members.length).toBeGreaterThanOrEqual(133);
    for (const members of pieces) expect(members.length).toBeLessThanOrEqual(134);
  });

  it('sends a packet into a segment once, exactly when one of its rules matches it', () => {
    fc.assert(
      fc.property(
        fc.array(segmentable, { maxLength: 60 }),
        fc.array(keyedPacket, { maxLength: 20 }),
        (rs, ps) => {
          const rules = rulesOf(rs.map(line));
          const items = segment(rules, { minMembers: 3 }, { minRules: 2 });
          const facts = factsOf(rules);
          for (const p of ps) {
            const inOrder = rules.map((_, i) => i).filter((i) => matches(rules[i]!, p));
            const asInstalled = items.flatMap((item) => {
              if (item.kind === 'rule') return [item.index].filter((i) => matches(rules[i]!, p));
              if (item.kind === 'group')
                return item.members.filter((m) => matches(rules[m]!, p)).slice(0, 1);
              // The guards: the lookup of each shape's key of the packet in the shape's keys.
              const found = item.shapes.map(({ keys }) =>
                keys.some((k) => keyOfPacket(facts, k, p)),
              );
              const entries = found.filter((f, i) => f && !found.slice(0, i).some(Boolean));
              const walked = item.members.filter((i) => matches(rules[i]!, p));
              expect(entries.length).toBe(walked.length > 0 ? 1 : 0);
              return walked;
            });
            expect(untilEnd(rules, asInstalled)).toEqual(untilEnd(rules, inOrder));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
