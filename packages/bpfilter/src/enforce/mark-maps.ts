/**
 * Per-host marks (`-j MARK --set-mark V` with a different V per host, as ISP and tc shaping
 * setups write them) as one data map: `meta mark set ip saddr map @mmapN`, each rule an
 * element `KEY : V` with its own counter. Only a mark written whole (revision 2, mask
 * 0xffffffff: the new mark is V whatever it was) can be a map's value, and only with one
 * exact address as the key; a run of the same mark is a counted set (group-rules.ts).
 */
import { readU32 } from '../abi/index.js';
import { objectData, objectName, targetAt } from '../model/entry-index.js';
import { shapeOf } from './key-shapes.js';
import type { NftExpr } from './nft-expr.js';
import { type RuleFacts, Target } from './rule-facts.js';

/** The mark entry `entry`'s `-j MARK` writes whole (mask 0xffffffff), else undefined. */
export function wholeMark(f: RuleFacts, entry: number): number | undefined {
  if (f.target[entry] !== Target.other) return undefined;
  const b = f.bytes;
  const at = targetAt(b, f.offsets[entry]!);
  if (objectName(b, at) !== 'MARK' || b[at + 31] !== 2) return undefined;
  const data = objectData(b, at);
  return data.length >= 8 && readU32(data, 4) === 0xffffffff ? readU32(data, 0) : undefined;
}

/**
 * Whether a map of marks may have keys of shape `shapeId`: one address, exact (the byte
 * orders nft's listing reads from the map's udata are written for that key alone).
 */
export function markMapShape(shapeId: number): boolean {
  const { fields, interval } = shapeOf(shapeId);
  return !interval && fields.length === 1 && (fields[0] === 'saddr' || fields[0] === 'daddr');
}

/** Whether the rules `members` (positions from `first`) write more than one mark. */
export function marksDiffer(f: RuleFacts, first: number, members: readonly number[]): boolean {
  const mark = wholeMark(f, first + members[0]!);
  return members.some((index) => wholeMark(f, first + index) !== mark);
}

/** nft JSON of `meta mark set KEY map @name`. */
export function markMapStatement(key: unknown, name: string): NftExpr {
  return { mangle: { key: { meta: { key: 'mark' } }, value: { map: { key, data: `@${name}` } } } };
}
