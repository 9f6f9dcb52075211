/**
 * A compiled table's plan (where each entry is counted) as the compile worker sends it to the
 * service: its counted entries packed into one Int32Array, which is moved, and their names
 * and element comments in one string each. A structured clone of the plan itself is one
 * object per counted entry and per map element (about 8,500 for a 5,000-rule table, and as
 * many strings), written field by field in the worker and read back the same way on the
 * service's thread, both before the install can start.
 */
import { COUNTED_FIELDS, countedEntriesOf } from './counted-list.js';
import {
  type CountedEntry,
  countedOf,
  type EnforcedPlan,
  enforcedPlan,
  type TableLayout,
} from './table-layout.js';

/** An {@link EnforcedPlan} packed by {@link packPlan}. */
export interface PackedPlan {
  table: string;
  nftTable: string;
  maps: string[];
  numEntries: number;
  /** The chain and map names the fields refer to. */
  names: string[];
  /** Per counted entry, {@link COUNTED_FIELDS} numbers: see {@link packPlan}. */
  fields: Int32Array;
  /**
   * The element comments, in the order of the entries that have an element, NUL-separated:
   * they are NUL-terminated strings in the kernel (nftnl's udata), so none holds a NUL.
   */
  comments: string;
}

/** A field added to CountedEntry must be packed too: this stops compiling until it is. */
export const PACKS_EVERY_FIELD: Exclude<
  keyof CountedEntry,
  'entry' | 'chain' | 'position' | 'rules' | 'element'
> extends never
  ? true
  : never = true;

/** `plan` packed for {@link unpackPlan}; the buffer of `fields` can be moved. */
export function packPlan(plan: EnforcedPlan): PackedPlan {
  const { counted } = plan;
  const names: string[] = [];
  const nameIds = new Map<string, number>();
  const nameId = (name: string) => {
    let id = nameIds.get(name);
    if (id === undefined) {
      id = names.push(name) - 1;
      nameIds.set(name, id);
    }
    return id;
  };
  // Entry, chain name, position, rules (0: none), element map (-1: none).
  const fields = new Int32Array(counted.length * COUNTED_FIELDS);
  const comments: string[] = [];
  for (let i = 0, at = 0; i < counted.length; i++, at += COUNTED_FIELDS) {
    const { entry, chain, position, rules, element } = counted[i]!;
    fields[at] = entry;
    fields[at + 1] = nameId(chain);
    fields[at + 2] = position;
    fields[at + 3] = rules ?? 0;
    fields[at + 4] = element === undefined ? -1 : nameId(element.map);
    if (element !== undefined) comments.push(element.comment);
  }
  const { table, nftTable, maps, numEntries } = plan;
  return { table, nftTable, maps, numEntries, names, fields, comments: comments.join('\0') };
}

/**
 * The plan of `layout` packed, as {@link packPlan} packs its {@link enforcedPlan}: from the
 * layout's numbers (counted-list.ts) when it has them.
 */
export function packLayoutPlan(layout: TableLayout): PackedPlan {
  const counted = countedOf(layout);
  if (counted === undefined) return packPlan(enforcedPlan(layout));
  const { table, nftTable, maps, numEntries } = layout;
  return { table, nftTable, maps, numEntries, ...counted.packed() };
}

/** The plan {@link packPlan} packed, equal to the one it was given. */
export function unpackPlan(packed: PackedPlan): EnforcedPlan {
  const { names, fields } = packed;
  const comments = packed.comments.split('\0');
  const length = fields.length / COUNTED_FIELDS;
  const counted = countedEntriesOf(names, fields, length, (e) => comments[e]!);
  const { table, nftTable, maps, numEntries } = packed;
  return { table, nftTable, counted, maps, numEntries };
}
