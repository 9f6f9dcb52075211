/**
 * What the grouping and segment tests share: a chain of rules read as the compile reads it
 * (encoded, then its entries' facts), random rules and packets, and an independent reading of
 * which rules a packet matches and where its walk ends.
 */
import fc from 'fast-check';
import { parseCidr } from '../model/address.js';
import { encodeTable } from '../model/encode.js';
import { indexEntries } from '../model/entry-index.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { type ChainItem, type GroupOptions, groupChain } from './group-rules.js';
import { shapeOf } from './key-shapes.js';
import { type RuleFacts, readFacts } from './rule-facts.js';
import { keyValue } from './rule-shape.js';
import { type SegmentOptions, segmentChain } from './segment-rules.js';

/** INPUT's rules, and the facts the grouping reads from their entries (INPUT's are first). */
const tables = new WeakMap<Rule[], RuleFacts>();

export function rulesOf(lines: string[]): Rule[] {
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
  const table = parseSave(text)[0]!;
  // The text format has no -j MARK: `-j LOG --log-prefix markN` stands for --set-mark N, and
  // `--log-prefix restore` for CONNMARK --restore-mark (a statement no counted set holds).
  for (const r of table.chains.flatMap((c) => c.rules))
    if (r.target.kind === 'log' && r.target.prefix.startsWith('mark'))
      r.target = markTarget(Number(r.target.prefix.slice(4)));
    else if (r.target.kind === 'log' && r.target.prefix === 'restore') r.target = RESTORE_MARK;
  const encoded = encodeTable(table);
  const index = indexEntries(encoded, encoded.entries);
  const input = index.builtins[0]!;
  const rules = table.chains.find((c) => c.name === 'INPUT')!.rules;
  tables.set(rules, readFacts(encoded.entries, index, [[input.from, input.policy]]));
  return rules;
}

/**
 * `-j CONNMARK --restore-mark` (revision 1: ctmark 0, ctmask and nfmask 0xffffffff, mode 2):
 * a target that changes the packet's mark and that the grouping must treat as any other.
 */
const RESTORE_MARK: Rule['target'] = {
  kind: 'raw',
  name: 'CONNMARK',
  revision: 1,
  data: Uint8Array.from([0, 0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 2, 0, 0, 0]),
};

/** `-j MARK --set-mark V` (revision 2, mask 0xffffffff). */
export function markTarget(mark: number): Rule['target'] {
  const data = new Uint8Array(8);
  new DataView(data.buffer).setUint32(0, mark, true);
  new DataView(data.buffer).setUint32(4, 0xffffffff, true);
  return { kind: 'raw', name: 'MARK', revision: 2, data };
}

/** The facts of `rules` (from rulesOf): INPUT's rules are entries 0 on. */
export const factsOf = (rules: Rule[]) => tables.get(rules)!;

export function group(rules: Rule[], options?: GroupOptions): ChainItem[] {
  return groupChain(factsOf(rules), 0, rules.length, options);
}

export function segment(rules: Rule[], group: GroupOptions = {}, options: SegmentOptions = {}) {
  const facts = factsOf(rules);
  return segmentChain(facts, 0, groupChain(facts, 0, rules.length, group), options);
}

/** The matching rules a packet meets until one ends its walk (ACCEPT, DROP, RETURN). */
export function untilEnd(rules: Rule[], matched: number[]): number[] {
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
export function keyOfPacket(facts: RuleFacts, entry: number, p: Packet): boolean {
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
const exactFields = {
  s: host,
  d: fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2'), { nil: undefined, freq: 3 }),
  notS: fc.constant(false),
  i: fc.option(fc.constantFrom('eth0', 'eth1'), { nil: undefined, freq: 3 }),
  p: fc.constantFrom('tcp', 'udp', 'all'),
  dport: fc.constantFrom('22', '80'),
};
const exact = fc.record({ ...exactFields, j: fc.constantFrom('ACCEPT', 'DROP', 'web') });
const any = fc.record({
  s: fc.option(addr, { nil: undefined }),
  d: fc.option(addr, { nil: undefined }),
  notS: fc.boolean(),
  i: fc.option(fc.constantFrom('eth0', 'eth1', 'eth+'), { nil: undefined }),
  p: fc.constantFrom('tcp', 'udp', 'all', '!tcp'),
  dport: fc.option(fc.constantFrom('22', '80', '20:30'), { nil: undefined }),
  j: fc.constantFrom('ACCEPT', 'DROP', 'RETURN', 'web', 'LOG'),
});
// Prefixes and port ranges (interval keys), nested, adjacent and disjoint, of a few shapes.
const boxedFields = {
  s: fc.option(
    fc.constantFrom(
      ...['10.0.0.0/24', '10.0.0.0/25', '10.0.0.128/25', '10.0.1.0/24', '10.0.0.2/31'],
      ...['10.1.0.0/24', '10.0.0.0/8', '172.16.0.0/12', '172.17.0.0/24'],
    ),
    { nil: undefined, freq: 4 },
  ),
  d: fc.option(fc.constantFrom('10.0.0.0/31', '10.0.1.0/24'), { nil: undefined, freq: 6 }),
  notS: fc.constant(false),
  i: fc.constant(undefined),
  p: fc.constantFrom('tcp', 'tcp', 'all'),
  dport: fc.option(fc.constantFrom('20:30', '22', '25:65535', '1:24'), { nil: undefined }),
};
const boxed = fc.record({ ...boxedFields, j: fc.constantFrom('ACCEPT', 'DROP', 'web', 'RETURN') });
/**
 * Rules that only count, log or mark (counted sets, maps of marks): exact keys and prefixes
 * with no target, a LOG of one of two prefixes, one of two marks, or a CONNMARK (rulesOf).
 */
const statements = fc.constantFrom(
  '',
  '',
  'LOG --log-prefix a',
  'LOG --log-prefix b',
  'LOG --log-prefix mark1',
  'LOG --log-prefix mark2',
  'LOG --log-prefix restore',
);
const counting = fc.oneof(
  // An accounting chain's: a source or a destination.
  fc.record({
    s: fc.option(host, { nil: undefined }),
    d: fc.option(fc.constantFrom('10.0.0.1', '10.0.0.2'), { nil: undefined }),
    notS: fc.constant(false),
    i: fc.constant(undefined),
    p: fc.constantFrom('all', 'all', 'tcp'),
    dport: fc.constant(undefined),
    j: statements,
  }),
  fc.record({ ...exactFields, j: statements }),
  fc.record({ ...boxedFields, j: statements }),
);
/** Counting and logging rules among every kind of rule. */
export const countingRule = fc.oneof(
  { arbitrary: counting, weight: 2 },
  { arbitrary: exact, weight: 1 },
  { arbitrary: any, weight: 1 },
  { arbitrary: boxed, weight: 1 },
);
/** Mostly interval keys, meeting every kind of rule. */
export const boxedRule = fc.oneof({ arbitrary: boxed, weight: 3 }, { arbitrary: any, weight: 1 });
export const rule = fc.oneof(
  { arbitrary: exact, weight: 3 },
  { arbitrary: any, weight: 1 },
  { arbitrary: boxed, weight: 2 },
);
// Mostly exact keys of two shapes that overlap (a UDP datagram can match one of each), with
// many keys each: segments of many keys, meeting every kind of rule.
export const segmentable = fc.oneof(
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
export const keyedPacket = fc.record({
  s: host,
  d: fc.constantFrom('10.0.0.1', '10.0.0.2'),
  i: fc.constantFrom('eth0', 'eth1'),
  p: fc.constantFrom(17, 17, 6),
  dport: fc.constantFrom(22, 80),
});
export const line = (r: RuleArgs) =>
  [
    '-A INPUT',
    r.s && `${r.notS ? '! ' : ''}-s ${r.s}`,
    r.d && `-d ${r.d}`,
    r.i && `-i ${r.i}`,
    r.p === '!tcp' ? '! -p tcp' : r.p !== 'all' && `-p ${r.p}`,
    r.dport && (r.p === 'tcp' || r.p === 'udp') && `--dport ${r.dport}`,
    r.j && `-j ${r.j}`,
  ]
    .filter(Boolean)
    .join(' ');
export const packet = fc.record({
  s: fc.constantFrom(
    '10.0.0.1',
    '10.0.0.2',
    '10.0.0.3',
    '10.0.1.1',
    '10.0.0.200',
    '10.1.0.1',
    '172.17.0.1',
  ),
  d: fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.1.1'),
  i: fc.constantFrom('eth0', 'eth1', 'eth2'),
  p: fc.constantFrom(6, 17, 1),
  dport: fc.constantFrom(22, 24, 25, 30, 31, 80),
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
export function matches(rule: Rule, p: Packet): boolean {
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
