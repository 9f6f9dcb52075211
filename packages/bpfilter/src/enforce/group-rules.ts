/**
 * Groups a chain's exact-key rules (rule-shape.ts) into verdict maps, so a packet costs one
 * lookup per group instead of one test per rule, and a large table loads as map elements.
 *
 * A group stands where its first member stood; a later rule joins it only if it is disjoint
 * from every rule between the group's start and itself that is not a member (no packet can
 * see the moved rules in another order), and if its key is new in the group (a duplicate
 * key could match after a jump returns). Groups that stay small are left as plain rules.
 */
import type { Rule } from '../model/types.js';
import {
  disjoint,
  type ExactKey,
  exactKey,
  exactValue,
  type RuleSpan,
  shapeExcludes,
  spanOf,
} from './rule-shape.js';

/**
 * One rule as it is (with its exact key, if it has one), or a group of rules that becomes
 * one verdict-map lookup.
 */
export type ChainItem =
  | { kind: 'rule'; index: number; key?: ExactKey }
  | { kind: 'group'; members: { index: number; key: ExactKey }[] };

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
  shape: string;
  members: { index: number; key: ExactKey }[];
  keys: Set<string>;
  /** Rules after the first member that are not members. */
  between: Between;
}

/**
 * The rules a group's next member must be disjoint from, kept so that the test is cheap:
 * rules of another protocol are dropped (disjoint from every member), rules that require one
 * value of the key's first field are filed under it (disjoint from members with another).
 */
class Between {
  readonly #shape: ExactKey;
  readonly #byValue = new Map<number | string, RuleSpan[]>();
  /** Rules that must be tested one by one. */
  readonly rest: RuleSpan[] = [];

  constructor(shape: ExactKey) {
    this.#shape = shape;
  }

  add(span: RuleSpan): void {
    if (shapeExcludes(this.#shape, span)) return;
    const value = exactValue(span, this.#shape.fields[0]!, this.#shape.protocol);
    if (value === undefined) this.rest.push(span);
    else {
      const list = this.#byValue.get(value);
      if (list === undefined) this.#byValue.set(value, [span]);
      else list.push(span);
    }
  }

  /** Whether `key` (of the same shape) is disjoint from all of them. */
  allDisjoint(key: ExactKey): boolean {
    const same = this.#byValue.get(key.values[0]!);
    return (
      (same === undefined || same.every((span) => disjoint(key, span))) &&
      this.rest.every((span) => disjoint(key, span))
    );
  }
}

const MAX_OPEN = 32;

/** The items of a chain in the order they are installed. */
export function groupChain(rules: readonly Rule[], options: GroupOptions = {}): ChainItem[] {
  const minMembers = options.minMembers ?? 8;
  const maxBetween = options.maxBetween ?? 1024;
  const open = new Map<string, OpenGroup>();
  /** The group of each rule that went into one. */
  const groupOf: (OpenGroup | undefined)[] = [];
  const keyOf: (ExactKey | undefined)[] = [];
  const spans: (RuleSpan | undefined)[] = [];
  const spanAt = (i: number) => (spans[i] ??= spanOf(rules[i]!));

  rules.forEach((rule, index) => {
    const key = exactKey(rule);
    let home: OpenGroup | undefined;
    if (key !== undefined) {
      const group = open.get(key.shape);
      if (group !== undefined && !group.keys.has(key.id) && group.between.allDisjoint(key)) {
        home = group;
      } else {
        open.delete(key.shape);
        home = { shape: key.shape, members: [], keys: new Set(), between: new Between(key) };
        if (open.size >= MAX_OPEN) open.delete(open.keys().next().value!);
        open.set(key.shape, home);
      }
      home.members.push({ index, key });
      keyOf[index] = key;
      home.keys.add(key.id);
      groupOf[index] = home;
    }
    for (const group of open.values()) {
      if (group === home) continue;
      group.between.add(spanAt(index));
      if (group.between.rest.length >= maxBetween) open.delete(group.shape);
    }
  });

  const items: ChainItem[] = [];
  rules.forEach((_, index) => {
    const group = groupOf[index];
    if (group === undefined) items.push({ kind: 'rule', index });
    else if (group.members.length < minMembers)
      items.push({ kind: 'rule', index, key: keyOf[index] });
    else if (group.members[0]!.index === index)
      items.push({ kind: 'group', members: group.members });
  });
  return items;
}
