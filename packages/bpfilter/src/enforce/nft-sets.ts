/**
 * The nft sets and maps of exact keys (rule-shape.ts): a group's verdict map, each rule an
 * element with its own counter, and a segment's key sets with the guard rules that enter
 * the segment's chain only for a packet whose key is in one of them (segment-rules.ts).
 */
import { formatIpv4 } from '../abi/index.js';
import { boxHigh, boxLow } from './interval-keys.js';
import { KEY_TYPE, segmentKeyTypes } from './key-types.js';
import { jumpStatement, match, meta, type NftExpr, payload, verdictStatement } from './nft-expr.js';
import type { KeyField, KeyShape } from './key-shapes.js';
import { markMapStatement, wholeMark } from './mark-maps.js';
import { rejectChain, rejectTypeOf } from './reject-chains.js';
import { jumpChain, type RuleFacts, Target } from './rule-facts.js';
import { keyValue } from './rule-shape.js';
import type { SegmentShape } from './segment-rules.js';

const family = 'ip';

/**
 * The comments of the first rules of a chain, made once: a large table's compile asks for
 * each twice (its plan and its element), and strings made anew for every compile are most of
 * what its young collections copy.
 */
const ruleComments: string[] = [];
const CACHED_COMMENTS = 1 << 16;

/** The comment of the map element that stands for rule `index` (0-based) of its chain. */
export function ruleComment(index: number): string {
  if (index >= CACHED_COMMENTS) return `rule ${index + 1}`;
  while (ruleComments.length <= index) ruleComments.push(`rule ${ruleComments.length + 1}`);
  return ruleComments[index]!;
}

function keyExpr(field: KeyField, protocol: number | 'th'): NftExpr {
  if (field === 'iifname' || field === 'oifname') return meta(field);
  if (field === 'saddr' || field === 'daddr') return payload('ip', field);
  return payload(protocol === 'th' ? 'th' : protocol === 6 ? 'tcp' : 'udp', field);
}

/**
 * The key of entry `entry` as nft's JSON writes it: each field's value (addresses dotted), or
 * for a box (interval-keys.ts) each field's prefix, range or single value.
 */
function keyValues(facts: RuleFacts, entry: number, shape: KeyShape): unknown[] {
  return shape.fields.map((field) => {
    const address = field === 'saddr' || field === 'daddr';
    if (shape.interval) {
      const low = boxLow(facts, entry, field);
      const high = boxHigh(facts, entry, field);
      if (low === high) return address ? formatIpv4(low) : low;
      if (!address) return { range: [low, high] };
      const len = 32 - Math.log2(high - low + 1);
      return { prefix: { addr: formatIpv4(low), len } };
    }
    const value = keyValue(facts, entry, field);
    return address ? formatIpv4(value as number) : value;
  });
}

/** The verdict statement of an exact-key entry (a verdict, a jump or a goto; a reject's goto). */
function keyVerdict(facts: RuleFacts, entry: number): NftExpr {
  const target = facts.target[entry];
  if (target === Target.jump || target === Target.goto)
    return jumpStatement(target === Target.jump ? 'jump' : 'goto', jumpChain(facts, entry));
  if (target === Target.reject)
    return jumpStatement('goto', rejectChain(rejectTypeOf(facts, entry)));
  return verdictStatement(
    target === Target.accept ? 'ACCEPT' : target === Target.drop ? 'DROP' : 'RETURN',
  );
}

/**
 * A verdict map of the rules `members` (positions in their chain, whose rules are the entries
 * from `first` on; all of `shape`): its declaration, elements, and the lookup rule; or
 * (`kind` 'set') a counted set of them, the lookup a match that their target's statements
 * follow; or ('marks') a map of the marks they write, the lookup `meta mark set KEY map`.
 */
export function verdictMap(
  table: string,
  name: string,
  facts: RuleFacts,
  first: number,
  { shape, members, kind }: { shape: KeyShape; members: readonly number[]; kind?: string },
): { commands: NftExpr[]; lookup: NftExpr[] } {
  const set = kind === 'set';
  const marks = kind === 'marks';
  const { fields, protocol } = shape;
  const single = fields.length === 1;
  const type = single ? KEY_TYPE[fields[0]!].name : fields.map((f) => KEY_TYPE[f].name);
  const keys = fields.map((f) => keyExpr(f, protocol));
  const elem = members.map((index) => {
    const values = keyValues(facts, first + index, shape);
    const val = single ? values[0] : { concat: values };
    const element = { elem: { val, comment: ruleComment(index), counter: null } };
    if (set) return element;
    return [element, marks ? wholeMark(facts, first + index) : keyVerdict(facts, first + index)];
  });
  const map = {
    family,
    table,
    name,
    type,
    ...(set ? {} : { map: marks ? 'mark' : 'verdict' }),
    // The size the netlink batch says too (netlink-sets.ts): nft lists it as `size N`.
    ...(shape.interval ? { flags: ['interval'] } : { size: members.length }),
    stmt: [{ counter: null }],
  };
  const key = single ? keys[0] : { concat: keys };
  return {
    commands: [
      set ? { add: { set: map } } : { add: { map } },
      { add: { element: { family, table, name, elem } } },
    ],
    lookup: [
      ...(protocol !== 0 ? [match(payload('ip', 'protocol'), '==', protocol)] : []),
      set
        ? match(key, '==', `@${name}`)
        : marks
          ? markMapStatement(key, name)
          : { vmap: { key, data: `@${name}` } },
    ],
  };
}

/**
 * The key sets of a segment's shapes (`names[i]` for `shapes[i]`; its rules are the entries
 * from `first` on) and its guard rules: the rule of shape i jumps to `chain` if the packet's
 * key of shape i is in set i and its keys of the shapes before are not in theirs, so a packet
 * enters the segment at most once. A shape with a protocol has it in its key
 * (`ip protocol . ...`, ports as `th`), so "not in the set" also holds for packets of other
 * protocols.
 */
export function segmentGuards(
  table: string,
  chain: string,
  facts: RuleFacts,
  first: number,
  shapes: readonly SegmentShape[],
  names: readonly string[],
): { commands: NftExpr[]; guards: NftExpr[][] } {
  const commands: NftExpr[] = [];
  const lookups = shapes.map(({ shape, keys }, i) => {
    const name = names[i]!;
    const { fields, protocol } = shape;
    const types = segmentKeyTypes(shape).map((type) => type.name);
    const exprs = fields.map((f) => keyExpr(f, 'th'));
    if (protocol !== 0) exprs.unshift(payload('ip', 'protocol'));
    const single = types.length === 1;
    const elem = keys.map((index) => {
      const values = keyValues(facts, first + index, shape);
      if (protocol !== 0) values.unshift(protocol);
      return single ? values[0] : { concat: values };
    });
    const set = { family, table, name, type: single ? types[0] : types, size: keys.length };
    commands.push({ add: { set } }, { add: { element: { family, table, name, elem } } });
    return { left: single ? exprs[0] : { concat: exprs }, right: `@${name}` };
  });
  const guards = lookups.map((lookup, i) => [
    match(lookup.left, '==', lookup.right),
    ...lookups.slice(0, i).map((before) => match(before.left, '!=', before.right)),
    { jump: { target: chain } },
  ]);
  return { commands, guards };
}
