/**
 * Where each entry of a laid-out table is counted (table-layout.ts's {@link CountedEntry}),
 * recorded as numbers while the layout is planned: one object per entry and per map element
 * (about 8,500 for a 5,000-rule table) is made only when something reads them, and the
 * compile worker sends the numbers as they are (plan-transfer.ts's packed form).
 */
import { ruleComment } from './nft-sets.js';
import type { CountedEntry } from './table-layout.js';

/** Numbers per entry, as plan-transfer.ts packs them: entry, chain, position, rules, map. */
export const COUNTED_FIELDS = 5;

/**
 * The first `length` counted entries that `fields` holds ({@link COUNTED_FIELDS} numbers each, as
 * {@link CountedList} records them and plan-transfer.ts packs a plan), chain and map names by
 * their index in `names`; `comment(e)` is the comment of the e-th entry that has an element.
 */
export function countedEntriesOf(
  names: readonly string[],
  fields: Int32Array,
  length: number,
  comment: (element: number) => string,
): CountedEntry[] {
  const out: CountedEntry[] = new Array(length);
  for (let i = 0, at = 0, e = 0; i < length; i++, at += COUNTED_FIELDS) {
    const entry = fields[at]!;
    const chain = names[fields[at + 1]!]!;
    const position = fields[at + 2]!;
    const rules = fields[at + 3]!;
    const map = fields[at + 4]!;
    // One literal per kind, so that each entry is made with its final shape.
    if (map < 0)
      out[i] = rules !== 0 ? { entry, chain, position, rules } : { entry, chain, position };
    else {
      const element = { map: names[map]!, comment: comment(e++) };
      out[i] =
        rules !== 0
          ? { entry, chain, position, rules, element }
          : { entry, chain, position, element };
    }
  }
  return out;
}

/** The counted entries of one table, in the order they were added. */
export class CountedList {
  #fields: Int32Array;
  #length = 0;
  /** The chain and map names the fields refer to, in order of first use. */
  readonly names: string[] = [];
  readonly #nameIds = new Map<string, number>();
  /** Per map element, in order: the index in its chain of the rule it stands for. */
  readonly #elementRules: number[] = [];

  /** `capacity`: the most entries it will hold (a table's entry count). */
  constructor(capacity: number) {
    this.#fields = new Int32Array(capacity * COUNTED_FIELDS);
  }

  /**
   * Entry `entry` counted by the rule at `position` of `chain` (and by the `rules` - 1 after
   * it, for more than 1).
   */
  add(entry: number, chain: string, position: number, rules = 1): void {
    this.#add(entry, chain, position, rules > 1 ? rules : 0, -1);
  }

  /**
   * Entry `entry` counted by the element of map `map` that stands for rule `rule` of its
   * chain (its comment: nft-sets.ts's ruleComment); the lookup is at `position` of `chain`.
   */
  addElement(entry: number, chain: string, position: number, map: string, rule: number): void {
    this.#add(entry, chain, position, 0, -2);
    this.#fields[(this.#length - 1) * COUNTED_FIELDS + 4] = this.#nameId(map);
    this.#elementRules.push(rule);
  }

  /** The entries as objects, each as the layout used to make it. */
  entries(): CountedEntry[] {
    return countedEntriesOf(this.names, this.#fields, this.#length, (e) => this.#comment(e));
  }

  /** The numbers as plan-transfer.ts packs them (a copy of its own to move), names, comments. */
  packed(): { names: string[]; fields: Int32Array; comments: string } {
    const comments = this.#elementRules.map((_, e) => this.#comment(e)).join('\0');
    const fields = this.#fields.slice(0, this.#length * COUNTED_FIELDS);
    return { names: [...this.names], fields, comments };
  }

  #comment(element: number): string {
    return ruleComment(this.#elementRules[element]!);
  }

  /** `map`: -1 for none, -2 for one set by the caller (after the chain's name has its id). */
  #add(entry: number, chain: string, position: number, rules: number, map: number): void {
    const at = this.#length++ * COUNTED_FIELDS;
    if (at === this.#fields.length) {
      const grown = new Int32Array(Math.max(2 * at, 64 * COUNTED_FIELDS));
      grown.set(this.#fields);
      this.#fields = grown;
    }
    const f = this.#fields;
    f[at] = entry;
    f[at + 1] = this.#nameId(chain);
    f[at + 2] = position;
    f[at + 3] = rules;
    f[at + 4] = map;
  }

  #nameId(name: string): number {
    let id = this.#nameIds.get(name);
    if (id === undefined) {
      id = this.names.push(name) - 1;
      this.#nameIds.set(name, id);
    }
    return id;
  }
}
