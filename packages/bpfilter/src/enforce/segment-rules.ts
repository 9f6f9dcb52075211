/**
 * Runs of exact-key rules that stayed rules (rules of several shapes that may match the same
 * packet, so their order matters and no map can hold them) become a *segment*: a chain of
 * their own that a packet enters only if its key of one of their shapes is a key of theirs,
 * found by one set lookup per shape. A packet that matches none of them (most packets, in a
 * large table) then costs a few lookups where it cost a test per rule; one that matches
 * walks the segment's rules in their order, as before.
 *
 * A long run becomes several segments, each behind its own lookups: a packet that matches
 * a rule then walks the guards of the run's segments and the rules of one segment (the run
 * in order: a segment before it is entered only if a rule of that one matches too), about
 * 2 sqrt(guards x rules) tests where one segment would walk all the rules before its match.
 *
 * Only rules whose target ends the packet's walk (ACCEPT, DROP) join: a RETURN or goto in
 * the segment's chain would return to the chain that entered it instead of leaving it, and a
 * jump would nest user chains one level deeper than nf_tables' jump stack may allow.
 */
import type { ChainItem } from './group-rules.js';
import { type KeyShape, shapeOf } from './key-shapes.js';
import type { RuleFacts } from './rule-facts.js';
import { endsWalk, keyId } from './rule-shape.js';

/** The keys of one shape in a segment (one set). */
export interface SegmentShape {
  shape: KeyShape;
  /** Positions in the chain of rules holding the segment's keys of this shape, each key once. */
  keys: number[];
}

/** A chain item: a rule, a verdict-map group, or a segment (`members`: positions in the chain). */
export type PlannedItem =
  | ChainItem
  | { kind: 'segment'; members: number[]; shapes: SegmentShape[] };

/** Limits of the segments. */
export interface SegmentOptions {
  /** Fewest rules a segment needs (default 8): a shorter run stays as it is. */
  minRules?: number;
  /**
   * Most shapes in one segment (default 4): the guard of the last shape holds one lookup per
   * shape, so a segment closes at a new shape past this.
   */
  maxShapes?: number;
  /**
   * How many rule tests one key lookup costs a packet (default 6): a run of n rules of s
   * shapes is cut into segments of about sqrt(n x s x this) rules, which balances the
   * lookups of the guards a matching packet walks against the rules it walks.
   */
  lookupCost?: number;
}

/**
 * `items` (from groupChain, of the chain whose rules are the entries from `first` on) with
 * each long enough run of terminal exact-key rules a segment.
 */
export function segmentChain(
  facts: RuleFacts,
  first: number,
  items: readonly ChainItem[],
  options: SegmentOptions = {},
): PlannedItem[] {
  const minRules = options.minRules ?? 8;
  const maxShapes = options.maxShapes ?? 4;
  const lookupCost = options.lookupCost ?? 6;
  const out: PlannedItem[] = [];
  let run: number[] = [];
  const shapeIds = new Set<number>();
  const flush = () => {
    if (run.length >= minRules) {
      const size = Math.sqrt(run.length * shapeIds.size * lookupCost);
      const pieces = Math.max(
        1,
        Math.min(Math.floor(run.length / minRules), Math.round(run.length / size)),
      );
      for (let p = 0; p < pieces; p++) {
        const members = run.slice(
          Math.round((p * run.length) / pieces),
          Math.round(((p + 1) * run.length) / pieces),
        );
        out.push({ kind: 'segment', members, shapes: shapesOf(facts, first, members) });
      }
    } else for (const index of run) out.push({ kind: 'rule', index, keyed: true });
    run = [];
    shapeIds.clear();
  };
  for (const item of items) {
    const entry = item.kind === 'rule' && item.keyed ? first + item.index : -1;
    if (item.kind !== 'rule' || entry < 0 || !endsWalk(facts, entry)) {
      flush();
      out.push(item);
      continue;
    }
    const shapeId = facts.shape[entry]!;
    if (!shapeIds.has(shapeId)) {
      if (shapeIds.size >= maxShapes) flush();
      shapeIds.add(shapeId);
    }
    run.push(item.index);
  }
  flush();
  return out;
}

/** The keys of each shape among `members` (positions in the chain), in order of first use. */
function shapesOf(facts: RuleFacts, first: number, members: readonly number[]): SegmentShape[] {
  const shapes = new Map<number, { shape: SegmentShape; ids: Set<number | string> }>();
  for (const index of members) {
    const entry = first + index;
    const shapeId = facts.shape[entry]!;
    let shape = shapes.get(shapeId);
    if (shape === undefined) {
      shape = { shape: { shape: shapeOf(shapeId), keys: [] }, ids: new Set() };
      shapes.set(shapeId, shape);
    }
    const id = keyId(facts, entry);
    if (!shape.ids.has(id)) {
      shape.ids.add(id);
      shape.shape.keys.push(index);
    }
  }
  return [...shapes.values()].map((s) => s.shape);
}
