/**
 * Groups a chain's exact-key rules (rule-shape.ts) and interval-key rules (interval-keys.ts)
 * into verdict maps, so a packet costs one lookup per group instead of one test per rule, and
 * a large table loads as map elements.
 *
 * A group stands where its first member stood; a later rule joins it only if it is disjoint
 * from every rule between the group's start and itself that is not a member (no packet can
 * see the moved rules in another order), and if its key is new in the group, or its box
 * overlaps no member's (a packet matching two members could match the second after a jump
 * returns; an interval map cannot hold overlapping elements). Groups that stay small are
 * left as plain rules.
 */
import { type KeyShape, shapeOf } from './key-shapes.js';
import { Boxes, intervalShape } from './interval-keys.js';
import type { RuleFacts } from './rule-facts.js';
import { disjoint, exactValue, keyId, keyValue, shapeExcludes } from './rule-shape.js';

/**
 * One rule as it is (`keyed`: it has an exact key), or a group of rules that becomes one
 * verdict-map lookup. Indexes are the rules' positions in their chain.
 */
export type ChainItem =
  | { kind: 'rule'; index: number; keyed?: boolean }
  | { kind: 'group'; shape: KeyShape; members: number[] };

/** Limits of the grouping. */
export interface GroupOptions {
  /** Fewest members a group needs to become a map (default 8). */
  minMembers?: number;
  /**
   * Most rules a group's new member may have to be tested against one by one (default 1024):
   * bounds the planning cost to rules x this; a group that reaches it takes no more members.
   */
  maxBetween?: number;
}

interface OpenGroup {
  shape: KeyShape;
  /** The members' positions in the chain. */
  members: number[];
  /** The members' exact keys, or their boxes (interval shapes). */
  keys: Set<number | string> | Boxes;
  /** Rules after the first member that are not members. */
  between: Between;
}

/**
 * The rules (entry indexes) a group's next member must be disjoint from, kept so that the
 * test is cheap: rules of another protocol are dropped (disjoint from every member), rules
 * that require one value of the key's first field are filed under it (disjoint from members
 * with another).
 */
class Between {
  readonly #facts: RuleFacts;
  readonly #shape: KeyShape;
  readonly #byValue = new Map<number | string, number[]>();
  /** Rules that must be tested one by one. */
  readonly rest: number[] = [];

  constructor(facts: RuleFacts, shape: KeyShape) {
    this.#facts = facts;
    this.#shape = shape;
  }

  add(entry: number): void {
    const f = this.#facts;
    if (shapeExcludes(this.#shape, f, entry)) return;
    // A box spans values of its first field: its rules are all tested one by one.
    const value =
      this.#shape.interval === true
        ? undefined
        : exactValue(f, entry, this.#shape.fields[0]!, this.#shape.protocol);
    if (value === undefined) this.rest.push(entry);
    else {
      const list = this.#byValue.get(value);
      if (list === undefined) this.#byValue.set(value, [entry]);
      else list.push(entry);
    }
  }

  /** Whether the key of entry `k` (of the same shape) is disjoint from all of them. */
  allDisjoint(k: number, first: number | string | undefined): boolean {
    const f = this.#facts;
    const shape = this.#shape;
    const same = first === undefined ? undefined : this.#byValue.get(first);
    if (same !== undefined) for (const s of same) if (!disjoint(f, k, s, shape)) return false;
    for (const s of this.rest) if (!disjoint(f, k, s, shape)) return false;
    return true;
  }
}

const MAX_OPEN = 32;

/**
 * The items of a chain (its rules are the entries `first` .. `first + count - 1` of `facts`)
 * in the order they are installed.
 */
export function groupChain(
  facts: RuleFacts,
  first: number,
  count: number,
  options: GroupOptions = {},
): ChainItem[] {
  const minMembers = options.minMembers ?? 8;
  const maxBetween = options.maxBetween ?? 1024;
  const open = new Map<number, OpenGroup>();
  /** The group of each rule that went into one. */
  const groupOf: (OpenGroup | undefined)[] = new Array(count);

  for (let index = 0; index < count; index++) {
    const entry = first + index;
    const exact = facts.shape[entry]! >= 0;
    const shapeId = exact ? facts.shape[entry]! : intervalShape(facts, entry);
    let home: OpenGroup | undefined;
    if (shapeId >= 0) {
      const group = open.get(shapeId);
      const shape = shapeOf(shapeId);
      const id = exact ? keyId(facts, entry) : 0;
      const first = exact ? keyValue(facts, entry, shape.fields[0]!) : undefined;
      if (
        group !== undefined &&
        !(group.keys instanceof Boxes ? group.keys.overlaps(entry) : group.keys.has(id)) &&
        group.between.allDisjoint(entry, first)
      ) {
        home = group;
      } else {
        open.delete(shapeId);
        const keys = exact ? new Set<number | string>() : new Boxes(facts, shape);
        home = { shape, members: [], keys, between: new Between(facts, shape) };
        if (open.size >= MAX_OPEN) open.delete(open.keys().next().value!);
        open.set(shapeId, home);
      }
      home.members.push(index);
      if (home.keys instanceof Boxes) home.keys.add(entry);
      else home.keys.add(id);
      groupOf[index] = home;
    }
    for (const group of open.values()) {
      if (group === home) continue;
      group.between.add(entry);
      if (group.between.rest.length >= maxBetween) open.delete(group.shape.id);
    }
  }

  const items: ChainItem[] = [];
  for (let index = 0; index < count; index++) {
    const group = groupOf[index];
    if (group === undefined) items.push({ kind: 'rule', index });
    else if (group.members.length < minMembers)
      // Only exact keys can be a segment's (segment-rules.ts).
      items.push(
        group.shape.interval ? { kind: 'rule', index } : { kind: 'rule', index, keyed: true },
      );
    else if (group.members[0] === index)
      items.push({ kind: 'group', shape: group.shape, members: group.members });
  }
  return items;
}
