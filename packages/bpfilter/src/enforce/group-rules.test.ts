import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '../model/address.js';
import { encodeTable } from '../model/encode.js';
import { indexEntries } from '../model/entry-index.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { type ChainItem, type GroupOptions, groupChain } from './group-rules.js';
import { type RuleFacts, readFacts, shapeOf } from './rule-facts.js';
import { keyValue } from './rule-shape.js';
import { type SegmentOptions, segmentChain } from './segment-rules.js';

/** INPUT's rules, and the facts the grouping reads from their entries (INPUT's are first). */
const tables = new WeakMap<Rule[], RuleFacts>();

function rulesOf(lines: string[]): Rule[] {
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
  const table = parseSave(text)[0]!;
  const encoded = encodeTable(table);
  const index = indexEntries(encoded, encoded.entries);
  const input = index.builtins[0]!;
  const rules = table.chains.find((c) => c.name === 'INPUT')!.rules;
  tables.set(rules, readFacts(encoded.entries, index, [[input.from, input.policy]]));
  return rules;
}

/** The facts of `rules` (from rulesOf): INPUT's rules are entries 0 on. */
const factsOf = (rules: Rule[]) => tables.get(rules)!;

function group(rules: Rule[], options?: GroupOptions): ChainItem[] {
  return groupChain(factsOf(rules), 0, rules.length, options);
}

function segment(rules: Rule[], group: GroupOptions = {}, options: SegmentOptions = {}) {
  const facts = factsOf(rules);
  return segmentChain(facts, 0, groupChain(facts, 0, rules.length, group), options);
}

/** Items as rule numbers: a plain rule's index, or a group's member indices. */
const shape = (items: ChainItem[]) =>
  items.map((item) => (item.kind === 'rule' ? item.index : item.members));

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

  it('never changes the order in which a packet meets the rules it matches', () => {
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
            const inOrder = rules.map((_, i) => i).filter((i) => matches(rules[i]!, p));
            // A map lookup finds one element: the group stands for its first matching member.
            const asInstalled = items.flatMap((item) =>
              item.kind === 'rule'
                ? [item.index].filter((i) => matches(rules[i]!, p))
                : item.members.filter((m) => matches(rules[m]!, p)).slice(0, 1),
            );
            expect(asInstalled).toEqual(inOrder);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

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

/** The matching rules a packet meets until one ends its walk (ACCEPT, DROP, RETURN). */
function untilEnd(rules: Rule[], matched: number[]): number[] {
  const end = matched.findIndex((i) => {
    const t = rules[i]!.target;
    return t.kind === 'verdict' && t.verdict !== 'QUEUE';
  });
  return end < 0 ? matched : matched.slice(0, end + 1);
}

/**
 * Whether `p`'s header holds the key of entry `entry` (an independent reading of what a
 * key-set lookup finds).
 */
function keyOfPacket(facts: RuleFacts, entry: number, p: Packet): boolean {
  const key = shapeOf(facts.shape[entry]!);
  if (key.protocol !== 0 && key.protocol !== p.p) return false;
  return key.fields.every((field) => {
    const value = keyValue(facts, entry, field);
    switch (field) {
      case 'saddr':
        return parseCidr(p.s).address >>> 0 === value;
      case 'daddr':
        return parseCidr(p.d).address >>> 0 === value;
      case 'iifname':
        return p.i === value;
      case 'dport':
        return p.dport === value;
      default:
        return false;
    }
  });
}

const addr = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.1.1', '10.0.0.0/24', '10.0.0.2/31');
const host = fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.1');
// Mostly rules with exact keys of several shapes, so groups and segments form and meet every
// kind of rule.
const exact = fc.record({
  s: host,
  d: fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2'), { nil: undefined, freq: 3 }),
  notS: fc.constant(false),
  i: fc.option(fc.constantFrom('eth0', 'eth1'), { nil: undefined, freq: 3 }),
  p: fc.constantFrom('tcp', 'udp', 'all'),
  dport: fc.constantFrom('22', '80'),
  j: fc.constantFrom('ACCEPT', 'DROP', 'web'),
});
const any = fc.record({
  s: fc.option(addr, { nil: undefined }),
  d: fc.option(addr, { nil: undefined }),
  notS: fc.boolean(),
  i: fc.option(fc.constantFrom('eth0', 'eth1', 'eth+'), { nil: undefined }),
  p: fc.constantFrom('tcp', 'udp', 'all', '!tcp'),
  dport: fc.option(fc.constantFrom('22', '80', '20:30'), { nil: undefined }),
  j: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', 'web', 'LOG'),
});
const rule = fc.oneof({ arbitrary: exact, weight: 3 }, { arbitrary: any, weight: 1 });
// Mostly exact keys of two shapes that overlap (a UDP datagram can match one of each), with
// many keys each: segments of many keys, meeting every kind of rule.
const segmentable = fc.oneof(
  {
    arbitrary: fc.record({
      s: host,
      d: fc.constant(undefined),
      notS: fc.constant(false),
      i: fc.constantFrom('eth0', 'eth1'),
      p: fc.constant('udp'),
      dport: fc.constantFrom('22', '80'),
      j: fc.constantFrom('ACCEPT', 'DROP'),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      s: host,
      d: fc.constantFrom('10.0.0.1', '10.0.0.2'),
      notS: fc.constant(false),
      i: fc.constant(undefined),
      p: fc.constant('all'),
      dport: fc.constant(undefined),
      j: fc.constantFrom('ACCEPT', 'DROP'),
    }),
    weight: 4,
  },
  { arbitrary: rule, weight: 1 },
);
/** Packets that often carry one of those keys. */
const keyedPacket = fc.record({
  s: host,
  d: fc.constantFrom('10.0.0.1', '10.0.0.2'),
  i: fc.constantFrom('eth0', 'eth1'),
  p: fc.constantFrom(17, 17, 6),
  dport: fc.constantFrom(22, 80),
});
const line = (r: RuleArgs) =>
  [
    '-A INPUT',
    r.s && `${r.notS ? '! ' : ''}-s ${r.s}`,
    r.d && `-d ${r.d}`,
    r.i && `-i ${r.i}`,
    r.p === '!tcp' ? '! -p tcp' : r.p !== 'all' && `-p ${r.p}`,
    r.dport && (r.p === 'tcp' || r.p === 'udp') && `--dport ${r.dport}`,
    `-j ${r.j}`,
  ]
    .filter(Boolean)
    .join(' ');
const packet = fc.record({
  s: host,
  d: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.1.1'),
  i: fc.constantFrom('eth0', 'eth1', 'eth2'),
  p: fc.constantFrom(6, 17, 1),
  dport: fc.constantFrom(22, 25, 80),
});

interface RuleArgs {
  s: string | undefined;
  d: string | undefined;
  notS: boolean;
  i: string | undefined;
  p: string;
  dport: string | undefined;
  j: string;
}

interface Packet {
  s: string;
  d: string;
  i: string;
  p: number;
  dport: number;
}

/** What the generated rules can say, judged as iptables judges it. */
function matches(rule: Rule, p: Packet): boolean {
  const inv = rule.invert ?? {};
  const addr = (cidr: string | undefined, value: string, invert?: boolean) => {
    if (cidr === undefined) return true;
    const { address, mask } = parseCidr(cidr);
    const v = parseCidr(value).address;
    return (((v & mask) >>> 0 === (address & mask) >>> 0) as boolean) !== (invert === true);
  };
  if (!addr(rule.source, p.s, inv.source) || !addr(rule.destination, p.d, inv.destination))
    return false;
  if (rule.inInterface !== undefined) {
    const name = rule.inInterface;
    const hit = name.endsWith('+') ? p.i.startsWith(name.slice(0, -1)) : p.i === name;
    if (hit === (inv.inInterface === true)) return false;
  }
  if (rule.protocol && (rule.protocol === p.p) === (inv.protocol === true)) return false;
  for (const m of rule.matches ?? []) {
    if (m.kind !== 'tcp' && m.kind !== 'udp') continue;
    const [lo, hi] = m.destinationPorts ?? [0, 65535];
    if (p.dport < lo || p.dport > hi) return false;
  }
  return true;
}
