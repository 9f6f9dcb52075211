/**
 * The nft sets and maps of exact keys (rule-shape.ts): a group's verdict map, each rule an
 * element with its own counter, and a segment's key sets with the guard rules that enter
 * the segment's chain only for a packet whose key is in one of them (segment-rules.ts).
 */
import { formatIpv4 } from '../abi/index.js';
import { KEY_TYPE, segmentKeyTypes } from './key-types.js';
import { match, meta, type NftExpr, payload } from './nft-expr.js';
import type { ExactKey, KeyField } from './rule-shape.js';
import type { SegmentShape } from './segment-rules.js';

const family = 'ip';

/** The comment of the map element that stands for rule `index` (0-based) of its chain. */
export function ruleComment(index: number): string {
  return `rule ${index + 1}`;
}

function keyExpr(field: KeyField, protocol: number | 'th'): NftExpr {
  if (field === 'iifname' || field === 'oifname') return meta(field);
  if (field === 'saddr' || field === 'daddr') return payload('ip', field);
  return payload(protocol === 'th' ? 'th' : protocol === 6 ? 'tcp' : 'udp', field);
}

function keyValue(key: ExactKey, i: number): unknown {
  const value = key.values[i]!;
  return key.fields[i] === 'saddr' || key.fields[i] === 'daddr'
    ? formatIpv4(value as number)
    : value;
}

/** A verdict map of `members` (same shape): its declaration, elements, and the lookup rule. */
export function verdictMap(
  table: string,
  name: string,
  members: { index: number; key: ExactKey }[],
): { commands: NftExpr[]; lookup: NftExpr[] } {
  const { fields, protocol } = members[0]!.key;
  const single = fields.length === 1;
  const type = single ? KEY_TYPE[fields[0]!].name : fields.map((f) => KEY_TYPE[f].name);
  const keys = fields.map((f) => keyExpr(f, protocol));
  const elem = members.map(({ index, key }) => {
    const values = fields.map((_, i) => keyValue(key, i));
    const val = single ? values[0] : { concat: values };
    return [{ elem: { val, comment: ruleComment(index), counter: null } }, key.verdict];
  });
  const map = { family, table, name, type, map: 'verdict', stmt: [{ counter: null }] };
  return {
    commands: [{ add: { map } }, { add: { element: { family, table, name, elem } } }],
    lookup: [
      ...(protocol !== 0 ? [match(payload('ip', 'protocol'), '==', protocol)] : []),
      { vmap: { key: single ? keys[0] : { concat: keys }, data: `@${name}` } },
    ],
  };
}

/**
 * The key sets of a segment's shapes (`names[i]` for `shapes[i]`) and its guard rules: the
 * rule of shape i jumps to `chain` if the packet's key of shape i is in set i and its keys of
 * the shapes before are not in theirs, so a packet enters the segment at most once. A shape
 * with a protocol has it in its key (`ip protocol . ...`, ports as `th`), so "not in the set"
 * also holds for packets of other protocols.
 */
export function segmentGuards(
  table: string,
  chain: string,
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
    const elem = keys.map((key) => {
      const values = fields.map((_, f) => keyValue(key, f));
      if (protocol !== 0) values.unshift(protocol);
      return single ? values[0] : { concat: values };
    });
    const set = { family, table, name, type: single ? types[0] : types };
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
