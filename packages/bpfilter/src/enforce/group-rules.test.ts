import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChainItem } from './group-rules.js';
import type { Rule } from '../model/types.js';
import {
  boxedRule,
  countingRule,
  group,
  keyedPacket,
  line,
  matches,
  packet,
  rule,
  rulesOf,
} from './grouping.testing.js';

/** Items as rule numbers: a plain rule's index, or a group's member indices. */
const shape = (items: ChainItem[]) =>
  items.map((item) => (item.kind === 'rule' ? item.index : item.members));

/** A packet's walk: each rule it matches and the effect there (its target's, as JSON). */
type Walk = { rule: number; effect: string }[];
const effect = (r: Rule) => JSON.stringify(r.target);
/** No target (a counting rule), or a LOG or MARK: statements that leave the walk going. */
const counts = (w: Walk[number]) => w.effect === '{"kind":"none"}';
const goesOn = (w: Walk[number]) => counts(w) || /"log"|"MARK"/.test(w.effect);

/**
 * Whether `installed` does what `inOrder` does: the same rules counted; the same effects in
 * the same order, counting rules aside; and each counting rule after the same rules that may
 * end the walk (it moves only past rules that go on).
 */
function sameWalk(installed: Walk, inOrder: Walk): void {
  expect(installed.map((w) => w.rule).sort((a, b) => a - b)).toEqual(
    inOrder.map((w) => w.rule).sort((a, b) => a - b),
  );
  const effects = (walk: Walk) => walk.filter((w) => !counts(w));
  expect(effects(installed)).toEqual(effects(inOrder));
  const barriers = (walk: Walk) => {
    const before = new Map<number, number>();
    let seen = 0;
    for (const w of walk) {
      if (counts(w)) before.set(w.rule, seen);
      else if (!goesOn(w)) seen++;
    }
    return [...before].sort((a, b) => a[0] - b[0]);
  };
  expect(barriers(installed)).toEqual(barriers(inOrder));
}

const blocks = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `-A INPUT -s 10.0.0.${from + i} -p tcp --dport 22 -j DROP`);

describe('grouping of exact-key rules into verdict maps', () => {
  it('makes one map of a run of same-shape rules with different keys', () => {
    expect(shape(group(rulesOf(blocks(8))))).toEqual([[0, 1, 2, 3, 4, 5, 6, 7]]);
  });

  it('leaves short runs as rules', () => {
    expect(shape(group(rulesOf(blocks(7))))).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('moves members past rules no packet of theirs can match, not past others', () => {
    const disjoint = rulesOf([
      ...blocks(4),
      '-A INPUT -p udp --dport 22 -j ACCEPT', // another protocol
      '-A INPUT -s 10.9.9.9 -j web', // another source
      ...blocks(4, 4),
    ]);
    expect(shape(group(disjoint))).toEqual([[0, 1, 2, 3, 6, 7, 8, 9], 4, 5]);
    const overlapping = rulesOf([
      ...blocks(8),
      '-A INPUT -p tcp -s 10.0.0.0/24 -j LOG', // matches members' packets: a barrier
      ...blocks(8, 8),
    ]);
    expect(shape(group(overlapping))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      8,
      [9, 10, 11, 12, 13, 14, 15, 16],
    ]);
  });

  it('ends a group at a key it already has (a jump can return to the second one)', () => {
    const rules = rulesOf([...blocks(8), ...blocks(8)]);
    expect(shape(group(rules))).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14, 15],
    ]);
  });

  it('tells keys apart by interface name past 65,535 names (their ids no longer fit 16 bits)', () => {
    const names = 65_540;
    const rules = rulesOf([
      ...Array.from({ length: names }, (_, i) => `-A INPUT -s 10.0.0.1 -i n${i} -j DROP`),
      // As numbers, 10.0.0.2 and the first name's id would be 10.0.0.1 and the 65,537th's.
      '-A INPUT -s 10.0.0.2 -i n0 -j DROP',
      '-A INPUT -s 10.0.0.1 -i n65536 -j DROP', // a key the group has: ends it
    ]);
    const items = shape(group(rules));
    expect(items[0]).toEqual(Array.from({ length: names + 1 }, (_, i) => i));
    expect(items.slice(1)).toEqual([names + 1]);
  }, 60_000);

  it('keeps a prefix wider than a /16 behind a rule it overlaps in another /16 than its first', () => {
    const rules = rulesOf([
      '-A INPUT -s 10.0.0.0/24 -j DROP',
      '-A INPUT -s 172.17.0.0/24 -p tcp -m tcp --dport 22 -j ACCEPT', // filed under 172.17
      '-A INPUT -s 172.16.0.0/12 -j DROP', // starts in 172.16, holds 172.17: a new map
      '-A INPUT -s 10.0.1.0/24 -j DROP',
    ]);
    expect(shape(group(rules, { minMembers: 2 }))).toEqual([0, 1, [2, 3]]);
  });

  it("groups an accounting chain's -s and -d rules, interleaved, into two counted sets", () => {
    const hosts = Array.from({ length: 8 }, (_, i) => `10.0.0.${i + 1}`);
    const rules = rulesOf([
      ...hosts.flatMap((h) => [`-A INPUT -s ${h}`, `-A INPUT -d ${h}`]),
      '-A INPUT -s 10.0.0.9 -j LOG --log-prefix x', // goes on: counting rules pass it
      '-A INPUT -s 10.0.0.10',
      '-A INPUT -p tcp -j ACCEPT', // may end a member's walk: stops both groups
      '-A INPUT -s 10.0.0.11',
    ]);
    const items = group(rules);
    expect(
      items.map((item) => (item.kind === 'group' ? [item.members, item.set] : item.index)),
    ).toEqual([
      [[0, 2, 4, 6, 8, 10, 12, 14, 17], true],
      [[1, 3, 5, 7, 9, 11, 13, 15], true],
      16,
      18,
      19,
    ]);
  });

  it("groups a blocklist that logs each host before dropping it: the LOGs' set moves ahead of the DROPs", () => {
    const logThenDrop = (n: number, logged = n) =>
      Array.from({ length: n }, (_, i) => [
        ...(i < logged ? [`-A INPUT -s 10.0.0.${i + 1} -j LOG --log-prefix blocked`] : []),
        `-A INPUT -s 10.0.0.${i + 1} -j DROP`,
      ]).flat();
    const even = (n: number) => Array.from({ length: n }, (_, i) => 2 * i);
    expect(shape(group(rulesOf(logThenDrop(8))))).toEqual([even(8), even(8).map((i) => i + 1)]);
    // Seven LOGs stay rules where they stood, so each DROP still meets its host's LOG before
    // it: the DROPs cannot move up past them either.
    expect(shape(group(rulesOf(logThenDrop(9, 7))))).toEqual([...Array(16).keys()]);
  });

  it('moves a counting rule past a MARK, never past another target that changes the mark', () => {
    const rules = rulesOf([
      '-A INPUT -s 10.0.0.1',
      '-A INPUT -s 10.0.0.2 -j LOG --log-prefix mark1',
      '-A INPUT -s 10.0.0.2',
      // CONNMARK --restore-mark (rulesOf): a counted set cannot hold it.
      '-A INPUT -s 10.0.0.3 -j LOG --log-prefix restore',
      '-A INPUT -s 10.0.0.3',
    ]);
    expect(shape(group(rules, { minMembers: 2 }))).toEqual([[0, 2], 1, 3, 4]);
  });

  it('makes hosts marked each their own a map of marks, hosts marked alike a set', () => {
    // `-j LOG --log-prefix markN` stands for `-j MARK --set-mark N` (grouping.testing.ts).
    const marked = (from: number, mark: (i: number) => number) =>
      Array.from(
        { length: 8 },
        (_, i) => `-A INPUT -s 10.0.${from}.${i + 1} -j LOG --log-prefix mark${mark(i)}`,
      );
    const items = group(
      rulesOf([...marked(0, (i) => i + 1), '-A INPUT -p udp -j ACCEPT', ...marked(1, () => 7)]),
    );
    expect(
      items.map((item) => item.kind === 'group' && [item.members, item.marks, item.set]),
    ).toEqual([
      [[0, 1, 2, 3, 4, 5, 6, 7], true, undefined],
      false,
      [[9, 10, 11, 12, 13, 14, 15, 16], undefined, true],
    ]);
  });

  it('makes a blocklist of /32s and /24s, interleaved, one map of each (planned in bounded time)', () => {
    const lines = Array.from({ length: 3000 }, (_, i) =>
      i % 2
        ? `-A INPUT -s 10.${i >> 8}.${i & 255}.7 -j DROP`
        : `-A INPUT -s 11.${i >> 8}.${i & 255}.0/24 -j DROP`,
    );
    const items = group(rulesOf(lines));
    // Each rule between the members of one map is filed under its /16: none meets a member,
    // and none is counted against the 1,024 tested one by one (which would close each map).
    expect(items.map((item) => (item.kind === 'group' ? item.members.length : -1))).toEqual([
      1500, 1500,
    ]);
  });

  it.each([
    ['', rule, packet, 300],
    [' (mostly prefixes and port ranges)', boxedRule, packet, 1000],
    [' (counting and logging rules among all kinds)', countingRule, keyedPacket, 3000],
  ] as const)(
    'never changes what a packet meets: the rules it matches, their effects in order%s',
    (_, rule, packet, numRuns) => {
      fc.assert(
        fc.property(
          fc.array(rule, { maxLength: 60 }),
          fc.array(packet, { maxLength: 20 }),
          (rs, ps) => {
            const rules = rulesOf(rs.map(line));
            const items = group(rules, { minMembers: 2 });
            const installed = items.flatMap((item) =>
              item.kind === 'rule' ? [item.index] : item.members,
            );
            expect([...installed].sort((a, b) => a - b)).toEqual(rules.map((_, i) => i));
            for (const p of ps) {
              const at = (i: number, by = i) => ({ rule: i, effect: effect(rules[by]!) });
              const inOrder = rules.flatMap((r, i) => (matches(r, p) ? [at(i)] : []));
              // A lookup finds one element: the group stands for its first matching member,
              // with its verdict or mark (a map), or with the set's one target, its first
              // member's.
              const installed = items.flatMap((item) => {
                if (item.kind === 'rule')
                  return matches(rules[item.index]!, p) ? [at(item.index)] : [];
                const hit = item.members.find((m) => matches(rules[m]!, p));
                if (hit === undefined) return [];
                return [at(hit, item.set ? item.members[0] : hit)];
              });
              sameWalk(installed, inOrder);
            }
          },
        ),
        { numRuns },
      );
    },
  );
});
