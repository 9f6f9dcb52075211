/**
 * Groups a chain's exact-key rules (rule-shape.ts) and interval-key rules (interval-keys.ts)
 * into verdict maps, so a packet costs one lookup per group instead of one test per rule, and
 * a large table loads as map elements. Rules with no target or the same statement target
 * (rule-facts.ts's setTarget: an accounting chain's counting rules, a list of hosts marked or
 * logged alike) are grouped the same way into a *counted set*: one rule, the key's lookup in
 * the set and the target's statements once; each member an element with its own counter.
 *
 * A group stands where its first member stood; a later rule joins it only if it is disjoint
 * from every rule between the group's start and itself that is not a member (no packet can
 * see the moved rules in another order), and if its key is new in the group, or its box
 * overlaps no member's (a packet matching two members could match the second after a jump
 * returns; an interval map cannot hold overlapping elements). Groups that stay small are
 * left as plain rules. A statement target may change the packet (a mark), but never a field
 * disjoint() compares, so moving it past a disjoint rule cannot change what that rule sees.
 *
 * A counting rule (no target) also moves past any rule with a statement target (setTarget)
 * or none, disjoint or not: it changes nothing such a rule could see, and such a rule
 * changes no field of its key and lets the walk go on, so it is counted as before. That is
 * what groups an accounting chain's `-s HOST` and `-d HOST` rules, interleaved per host.
 */
import { type KeyShape, shapeOf } from './key-shapes.js';
import { Boxes, boxHigh, boxLow, intervalShape, prefixBlock } from './interval-keys.js';
import { readU16, XT_OBJECT_NAME_OFFSET } from '../abi/index.js';
import { targetAt } from '../model/entry-index.js';
import { markMapShape, marksDiffer, wholeMark } from './mark-maps.js';
import { mapTarget, type RuleFacts, setTarget } from './rule-facts.js';
import { disjoint, exactValue, keyId, keyValue, shapeExcludes } from './rule-shape.js';

/**
 * One rule as it is (`keyed`: it has an exact key), or a group of rules that becomes one
 * verdict-map lookup. Indexes are the rules' positions in their chain.
 */
export type ChainItem =
  | { kind: 'rule'; index: number; keyed?: boolean }
  | {
      kind: 'group';
      shape: KeyShape;
      members: number[];
      /** A counted set (one target for all), or a map of the marks they write (`marks`). */
      set?: true;
      marks?: true;
    };

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
  /** What its members share: their shape, and their target's kind ({@link groupKey}). */
  key: GroupKey;
  /** The kind of target ({@link kindOf}): all but verdicts make a counted set, not a map. */
  kind: GroupKind;
  shape: KeyShape;
  /** The members' positions in the chain. */
  members: number[];
  /**
   * The members' exact keys (the first alone until a second joins: most groups of a mixed
   * chain close with one member), or their boxes (interval shapes).
   */
  keys: Set<number | string> | number | string | Boxes;
  /** Rules after the first member that are not members. */
  between: Between;
}

/**
 * The rules (entry indexes) a group's next member must be disjoint from, kept so that the
 * test is cheap: rules of another protocol are dropped (disjoint from every member), rules
 * that require one value of the key's first field are filed under it (disjoint from members
 * with another), and rules that require a prefix of /16 or longer of an address first field
 * under that /16 (disjoint from members outside it).
 */
class Between {
  readonly #facts: RuleFacts;
  readonly #shape: KeyShape;
  readonly #limit: number;
  /** The members have no target: rules with a statement target or none need no test. */
  readonly #counting: boolean;
  // Made at the first rule filed: most groups of a mixed chain close after a member or two.
  #byValue: Map<number | string, Filed> | undefined;
  #byBlock: Map<number, Filed> | undefined;
  /** How many rules are filed by /16, and the most under one. */
  #blocked = 0;
  largestBlock = 0;
  /** Rules that must be tested one by one. */
  readonly rest: number[] = [];

  constructor(facts: RuleFacts, shape: KeyShape, limit: number, counting: boolean) {
    this.#facts = facts;
    this.#shape = shape;
    this.#limit = limit;
    this.#counting = counting;
  }

  add(entry: number): void {
    const f = this.#facts;
    const shape = this.#shape;
    if (shapeExcludes(shape, f, entry) || (this.#counting && setTarget(f, entry))) return;
    const field = shape.fields[0]!;
    // A box spans values of its first field: filed by /16 at most.
    const value = shape.interval ? undefined : exactValue(f, entry, field, shape.protocol);
    if (value !== undefined) {
      this.#byValue ??= new Map();
      return void file(this.#byValue, value, entry);
    }
    const block = prefixBlock(f, entry, field);
    if (block === undefined) return void this.rest.push(entry);
    this.#byBlock ??= new Map();
    const filed = file(this.#byBlock, block, entry);
    this.#blocked++;
    this.largestBlock = Math.max(this.largestBlock, filed);
  }

  /** Whether the key of entry `k` (of the same shape) is disjoint from all of them. */
  allDisjoint(k: number, first: number | string | undefined): boolean {
    const f = this.#facts;
    const shape = this.#shape;
    const byValue = this.#byValue;
    if (first !== undefined && byValue !== undefined) {
      const list = byValue.get(first);
      if (list !== undefined && !allDisjoint(f, k, list, shape)) return false;
    }
    const byBlock = this.#byBlock;
    if (byBlock !== undefined) {
      const field = shape.fields[0]!;
      const low = shape.interval ? boxLow(f, k, field) : (first as number);
      const high = shape.interval ? boxHigh(f, k, field) : low;
      if (low >>> 16 === high >>> 16) {
        const list = byBlock.get(low >>> 16);
        if (list !== undefined && !allDisjoint(f, k, list, shape)) return false;
      } else {
        // A key wider than a /16 meets every block: bounded as the rest is.
        if (this.#blocked >= this.#limit) return false;
        for (const list of byBlock.values()) if (!allDisjoint(f, k, list, shape)) return false;
      }
    }
    return allDisjoint(f, k, this.rest, shape);
  }
}

/**
 * The rules filed under one value: one alone as its number (most values of a large chain are
 * one rule's), more as a list.
 */
type Filed = number | number[];

/** Whether key `k` is disjoint from every rule of `list` (a loop: no closure per test). */
function allDisjoint(f: RuleFacts, k: number, list: Filed, shape: KeyShape): boolean {
  if (typeof list === 'number') return disjoint(f, k, list, shape);
  for (let i = 0; i < list.length; i++) if (!disjoint(f, k, list[i]!, shape)) return false;
  return true;
}

/** Files `entry` under `key`; returns how many are filed there. */
function file<K>(map: Map<K, Filed>, key: K, entry: number): number {
  const filed = map.get(key);
  if (filed === undefined) {
    map.set(key, entry);
    return 1;
  }
  if (typeof filed === 'number') {
    map.set(key, [filed, entry]);
    return 2;
  }
  return filed.push(entry);
}

/** Whether a member's key is `id` (exact keys), or its box overlaps entry `k`'s (interval). */
function hasKey(keys: OpenGroup['keys'], k: number, id: number | string): boolean {
  if (keys instanceof Boxes) return keys.overlaps(k);
  return typeof keys === 'object' ? keys.has(id) : keys === id;
}

/** Adds the key of entry `k` (exact: `id`) to those of `group`, which has members already. */
function addKey(group: OpenGroup, k: number, id: number | string): void {
  const { keys } = group;
  if (keys instanceof Boxes) keys.add(k);
  else if (typeof keys === 'object') keys.add(id);
  else group.keys = new Set<number | string>().add(keys).add(id);
}

const MAX_OPEN = 32;

/** The group of `opened` with key `key`, if one is open. */
function openGroup(opened: readonly OpenGroup[], key: GroupKey): OpenGroup | undefined {
  for (let g = 0; g < opened.length; g++) if (opened[g]!.key === key) return opened[g];
  return undefined;
}

/**
 * What a group's members share ({@link groupKey}): a number for a verdict map, a counted set
 * without a target, a map of marks (the shape's id and {@link GroupKind}), a string for a
 * set of rules with the same statement target.
 */
type GroupKey = number | string;

/** The kinds of target a group's members have ({@link groupKey}), the low 2 bits of its key. */
const GroupKind = { verdict: 0, none: 1, marks: 2, statement: 3 } as const;
type GroupKind = (typeof GroupKind)[keyof typeof GroupKind];

/**
 * The key of the group entry `entry` of shape `shapeId` may join: verdicts share a map
 * (`verdict`), rules without a target a set (`none`), rules that write a whole mark a map of
 * marks (`marks`, a set if the marks are all one: mark-maps.ts), rules with another statement
 * target a set of the rules whose target has the same bytes (`statement`: name, revision,
 * options), so one statement does for all. A number but for the last: no string per rule.
 */
function groupKey(facts: RuleFacts, entry: number, shapeId: number): GroupKey {
  const t = facts.target[entry]!;
  if (mapTarget(t)) return shapeId * 4 + GroupKind.verdict;
  const b = facts.bytes;
  const at = targetAt(b, facts.offsets[entry]!);
  if ((b[at + XT_OBJECT_NAME_OFFSET] ?? 0) === 0) return shapeId * 4 + GroupKind.none;
  if (markMapShape(shapeId) && wholeMark(facts, entry) !== undefined)
    return shapeId * 4 + GroupKind.marks;
  const size = readU16(b, at);
  return `${shapeId}:${Buffer.from(b.buffer, b.byteOffset + at, size).toString('latin1')}`;
}

/** The kind of target of the members of a group of `key`. */
function kindOf(key: GroupKey): GroupKind {
  return typeof key === 'string' ? GroupKind.statement : ((key & 3) as GroupKind);
}

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
  return (
    groupRules(facts, first, count, options, true) ??
    groupRules(facts, first, count, options, false)!
  );
}

/**
 * {@link groupChain}'s pass. With `ahead`, a rule that joins a group standing before another
 * group's start is not between that group's members: it moves ahead of them all (a log list
 * whose host's DROP follows each LOG: the LOGs move into their set before the first DROP,
 * and the DROPs meet no LOG between). That holds only if its group ends large enough to be
 * one; undefined when one did not (the caller plans again without). Known as soon as such a
 * group is closed, and then the pass stops: a table where it fails (the bench's mixed one)
 * would otherwise plan its chain twice over, the whole of the compile's largest step.
 */
function groupRules(
  facts: RuleFacts,
  first: number,
  count: number,
  options: GroupOptions,
  ahead: boolean,
): ChainItem[] | undefined {
  const minMembers = options.minMembers ?? 8;
  const maxBetween = options.maxBetween ?? 1024;
  /**
   * The open groups (MAX_OPEN at most), in the order they were opened. Found by key in a
   * scan: a Map of so few, with a group opened and closed every few rules, cost more.
   */
  const opened: OpenGroup[] = [];
  /** The group of each rule that went into one. */
  const groupOf: (OpenGroup | undefined)[] = new Array(count);
  /** Groups whose members were taken as ahead of another group's (`ahead`). */
  const movedAhead = new Set<OpenGroup>();
  /** Takes `group` out of the open ones (it gets no more members); true if that fails the pass. */
  const close = (group: OpenGroup): boolean => {
    const at = opened.indexOf(group);
    opened.copyWithin(at, at + 1);
    opened.pop();
    return group.members.length < minMembers && movedAhead.has(group);
  };

  for (let index = 0; index < count; index++) {
    const entry = first + index;
    const exact = facts.shape[entry]! >= 0;
    const shapeId = exact ? facts.shape[entry]! : intervalShape(facts, entry);
    let home: OpenGroup | undefined;
    if (shapeId >= 0) {
      const key = groupKey(facts, entry, shapeId);
      const group = openGroup(opened, key);
      const shape = shapeOf(shapeId);
      const id = exact ? keyId(facts, entry) : 0;
      const first = exact ? keyValue(facts, entry, shape.fields[0]!) : undefined;
      if (
        group !== undefined &&
        !hasKey(group.keys, entry, id) &&
        group.between.allDisjoint(entry, first)
      ) {
        home = group;
      } else {
        if (group !== undefined && close(group)) return undefined;
        const kind = kindOf(key);
        const between = new Between(facts, shape, maxBetween, kind === GroupKind.none);
        const keys = exact ? id : new Boxes(facts, shape);
        home = { key, kind, shape, members: [], keys, between };
        if (opened.length >= MAX_OPEN && close(opened[0]!)) return undefined;
        opened.push(home);
      }
      if (home.members.push(index) > 1) addKey(home, entry, id);
      else if (home.keys instanceof Boxes) home.keys.add(entry);
      groupOf[index] = home;
    }
    // A member of a group that started earlier stands before this group's start.
    const joined = home !== undefined && home.members.length > 1 ? home.members[0]! : count;
    for (let g = 0; g < opened.length; g++) {
      const group = opened[g]!;
      if (group === home) continue;
      if (ahead && joined < group.members[0]!) {
        movedAhead.add(home!);
        continue;
      }
      group.between.add(entry);
      const { between } = group;
      if (between.rest.length >= maxBetween || between.largestBlock >= maxBetween) {
        if (close(group)) return undefined;
        g--; // the next group is at g now
      }
    }
  }

  for (const group of movedAhead) if (group.members.length < minMembers) return undefined;
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
      items.push({
        kind: 'group',
        shape: group.shape,
        members: group.members,
        ...(group.kind === GroupKind.verdict
          ? {}
          : group.kind === GroupKind.marks && marksDiffer(facts, first, group.members)
            ? { marks: true as const }
            : { set: true as const }),
      });
  }
  return items;
}
