/**
 * Runs of exact-key rules that stayed rules (rules of several shapes that may match the same
 * packet, so their order matters and no map can hold them) become a *segment*: a chain of
 * their own that a packet enters only if its key of one of their shapes is a key of theirs,
 * found by one set lookup per shape. A packet that matches none of them (most packets, in a
 * large table) then costs a few lookups where it cost a test per rule; one that matches
 * walks the segment's rules in their order, as before.
 *
 * Only rules whose target ends the packet's walk (ACCEPT, DROP) join: a RETURN or goto in
 * the segment's chain would return to the chain that entered it instead of leaving it, and a
 * jump would nest user chains one level deeper than nf_tables' jump stack may allow.
 */
import type { Rule } from '../model/types.js';
import type { ChainItem } from './group-rules.js';
import type { ExactKey } from './rule-shape.js';

/** A member of a segment: a rule and its exact key. */
export interface SegmentMember {
  index: number;
  key: ExactKey;
}

/** The keys of one shape in a segment (one set). */
export interface SegmentShape {
  /** A key of the shape (its protocol and fields). */
  shape: ExactKey;
  /** The keys of the segment's rules of this shape, each once. */
  keys: ExactKey[];
}

/** A chain item: a rule, a verdict-map group, or a segment. */
export type PlannedItem =
  | ChainItem
  | { kind: 'segment'; members: SegmentMember[]; shapes: SegmentShape[] };

/** Limits of the segments. */
export interface SegmentOptions {
  /** Fewest rules a segment needs (default 8): a shorter run stays as it is. */
  minRules?: number;
  /**
   * Most shapes in one segment (default 4): the guard of the last shape holds one lookup per
   * shape, so a segment closes at a new shape past this.
   */
  maxShapes?: number;
}

/** `items` (from groupChain) with each long enough run of terminal exact-key rules a segment. */
export function segmentChain(
  rules: readonly Rule[],
  items: readonly ChainItem[],
  options: SegmentOptions = {},
): PlannedItem[] {
  const minRules = options.minRules ?? 8;
  const maxShapes = options.maxShapes ?? 4;
  const out: PlannedItem[] = [];
  let run: SegmentMember[] = [];
  let shapes = new Map<string, { shape: SegmentShape; ids: Set<string> }>();
  const flush = () => {
    if (run.length >= minRules)
      out.push({ kind: 'segment', members: run, shapes: [...shapes.values()].map((s) => s.shape) });
    else for (const { index, key } of run) out.push({ kind: 'rule', index, key });
    run = [];
    shapes = new Map();
  };
  for (const item of items) {
    const key = item.kind === 'rule' ? item.key : undefined;
    if (item.kind !== 'rule' || key === undefined || !endsWalk(rules[item.index]!)) {
      flush();
      out.push(item);
      continue;
    }
    let shape = shapes.get(key.shape);
    if (shape === undefined) {
      if (shapes.size >= maxShapes) flush();
      shape = { shape: { shape: key, keys: [] }, ids: new Set() };
      shapes.set(key.shape, shape);
    }
    if (!shape.ids.has(key.id)) {
      shape.ids.add(key.id);
      shape.shape.keys.push(key);
    }
    run.push({ index: item.index, key });
  }
  flush();
  return out;
}

function endsWalk(rule: Rule): boolean {
  const { target } = rule;
  return target.kind === 'verdict' && (target.verdict === 'ACCEPT' || target.verdict === 'DROP');
}
