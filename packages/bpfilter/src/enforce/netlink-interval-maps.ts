/**
 * The elements of an interval verdict map (interval-keys.ts) as nft 1.0.6 sends them
 * (`nft --debug=mnl`). One field (the kernel's rbtree): in key order, each box a start
 * element (its low key, verdict and `rule N` comment) and an end element one past its high
 * key (NFT_SET_ELEM_INTERVAL_END), an end at 0 first when the lowest box starts above 0, no
 * end past the key's last value (the comment then flags the interval open). Several fields
 * (pipapo): each box one element, its low key and its high key (NFTA_SET_ELEM_KEY_END), in
 * rule order.
 */
import { dataValueAt } from './netlink-data.js';
import { keyLength, writeComment, writeElementMessages, writeElementData } from './netlink-sets.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { ruleComment } from './nft-sets.js';
import { boxHigh, boxLow } from './interval-keys.js';
import type { KeyType } from './key-types.js';
import type { KeyShape } from './key-shapes.js';
import type { RuleFacts } from './rule-facts.js';

const ELEM_FLAGS = 3;
const ELEM_KEY = 1;
const ELEM_KEY_END = 10;
const ELEM_INTERVAL_END = 1;

/** An rbtree element: a member's start (`index` its position) or an end (-1). */
interface Bound {
  key: number;
  index: number;
}

/** An interval map of a batch: its table, name, id in the batch and key types. */
export interface IntervalMap {
  table: string;
  name: string;
  id: number;
  types: readonly KeyType[];
}

/**
 * The elements of interval map `map` of the rules `members` (positions from `first`), of
 * `kind` (netlink-sets.ts's writeElementData).
 */
export function writeIntervalElements(
  w: NetlinkWriter,
  { table, name, id, types }: IntervalMap,
  facts: RuleFacts,
  first: number,
  { shape, members, kind }: { shape: KeyShape; members: readonly number[]; kind: string },
): void {
  const verdict = (entry: number) => writeElementData(w, facts, entry, kind);
  if (types.length > 1) {
    writeElementMessages(w, table, name, id, members.length, (i) => {
      const entry = first + members[i]!;
      writeBoxKey(w, ELEM_KEY, types, shape, (field) => boxLow(facts, entry, field));
      writeBoxKey(w, ELEM_KEY_END, types, shape, (field) => boxHigh(facts, entry, field));
      verdict(entry);
      writeComment(w, ruleComment(members[i]!));
    });
    return;
  }
  const field = shape.fields[0]!;
  const type = types[0]!;
  const last = type.len === 4 ? 0xffffffff : 0xffff;
  const starts = members
    .map((index) => ({ index, low: boxLow(facts, first + index, field) }))
    .sort((a, b) => a.low - b.low);
  const bounds: Bound[] = [];
  if (starts.length > 0 && starts[0]!.low !== 0) bounds.push({ key: 0, index: -1 });
  for (const { index, low } of starts) {
    bounds.push({ key: low, index });
    const high = boxHigh(facts, first + index, field);
    if (high !== last) bounds.push({ key: high + 1, index: -1 });
  }
  writeElementMessages(w, table, name, id, bounds.length, (i) => {
    const { key, index } = bounds[i]!;
    if (index < 0) w.u32(ELEM_FLAGS, ELEM_INTERVAL_END);
    writeBoxKey(w, ELEM_KEY, types, shape, () => key);
    if (index < 0) return;
    const entry = first + index;
    verdict(entry);
    writeComment(w, ruleComment(index), boxHigh(facts, entry, field) === last);
  });
}

/** A key attribute of `value` of each field, in network order, each in whole 32-bit words. */
function writeBoxKey(
  w: NetlinkWriter,
  attr: number,
  types: readonly KeyType[],
  shape: KeyShape,
  value: (field: KeyShape['fields'][number]) => number,
): void {
  const at = dataValueAt(w, attr, keyLength(types));
  let offset = at;
  shape.fields.forEach((field, f) => {
    const len = types[f]!.len;
    if (len === 4) w.buffer.writeUInt32BE(value(field), offset);
    else w.buffer.writeUInt16BE(value(field), offset);
    offset += (len + 3) & ~3;
  });
}
