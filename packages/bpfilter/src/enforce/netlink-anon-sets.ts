/**
 * The anonymous sets of a rule's matches, written as nft writes `tcp dport { 22, 80-90 }` and
 * `fib daddr type { local, broadcast }`: a NEWSET of a constant anonymous set (`__set%d`, the
 * kernel names it) and a NEWSETELEM of its elements, both before the rule's NEWRULE, which
 * looks the set up by its id in the batch. Port lists with a range are interval sets (each
 * range a start element and an end element one past it, merged where they touch, as nft
 * merges them). A list of one element is a comparison instead, as nft makes it.
 */
import { IPT_ENTRY_SIZE, readU16 } from '../abi/index.js';
import { objectData, objectName, targetAt } from '../model/entry-index.js';
import { dataValueAt, NotCompiled } from './netlink-data.js';
import { lookup } from './netlink-expr.js';
import { MSG_NEWSET, writeElementMessages } from './netlink-sets.js';
import { NLM_F_CREATE, type NetlinkWriter } from './netlink-writer.js';
import { addrtypeOf, multiportOf } from './xt-steering.js';

// include/uapi/linux/netfilter/nf_tables.h; nft's datatypes and nftnl's udata
const SET_ANONYMOUS = 1;
const SET_CONSTANT = 2;
const SET_INTERVAL = 4;
const ELEM_INTERVAL_END = 1;
const NAME = '__set%d';
const INET_SERVICE = { type: 13, len: 2 };
const FIB_ADDRTYPE = { type: 38, len: 4 };

/** A set's key type, its elements (inclusive ranges) and whether they are ranges. */
interface AnonSet {
  key: { type: number; len: number };
  elements: [number, number][];
  interval: boolean;
}

/** The sets match `name` needs (those of its lists with more than one element). */
function setsOf(name: string, data: Uint8Array, revision: number): AnonSet[] {
  if (name === 'multiport') {
    const { ports } = multiportOf(data, revision);
    const interval = ports.some(([from, to]) => from !== to);
    if (ports.length < 2) return [];
    return [{ key: INET_SERVICE, elements: interval ? merged(ports) : ports, interval }];
  }
  if (name === 'addrtype')
    return addrtypeOf(data, revision)
      .filter(({ types }) => types.length > 1)
      .map(({ types }) => ({
        key: FIB_ADDRTYPE,
        elements: types.map((t): [number, number] => [t, t]),
        interval: false,
      }));
  return [];
}

/** Sorted, overlapping and touching ranges joined. */
function merged(ranges: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [from, to] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** The first letter of `multiport` and of `addrtype` (xt_entry_match's name is at 2). */
const MULTIPORT_FIRST = 0x6d;
const ADDRTYPE_FIRST = 0x61;

/** The set ids written before the rule being written, for its matches to take in order. */
const pending = new WeakMap<NetlinkWriter, number[]>();

/**
 * Writes the sets the matches of the entry at `at` look up (before its NEWRULE), numbered by
 * `nextId`. A match whose options the readers refuse gets none (it goes to nft_compat).
 */
export function writeRuleSets(
  w: NetlinkWriter,
  table: string,
  b: Uint8Array,
  at: number,
  nextId: () => number,
): void {
  let ids: number[] | undefined;
  const target = targetAt(b, at);
  for (let pos = at + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos)) {
    // Only multiport and addrtype have sets: no name decoded for the others (every rule).
    const first = b[pos + 2];
    if (first !== MULTIPORT_FIRST && first !== ADDRTYPE_FIRST) continue;
    let sets: AnonSet[];
    try {
      sets = setsOf(objectName(b, pos), objectData(b, pos), b[pos + 31]!);
    } catch {
      continue;
    }
    for (const set of sets) {
      const id = nextId();
      writeSet(w, table, id, set);
      ids ??= [];
      ids.push(id);
    }
  }
  if (ids === undefined) pending.delete(w);
  else pending.set(w, ids);
}

/** A lookup of register 1 in the next set written for this rule (`!=`: not in it). */
export function lookupRuleSet(w: NetlinkWriter, invert: boolean): void {
  const id = pending.get(w)?.shift();
  if (id === undefined) throw new NotCompiled('anonymous set');
  lookup(w, NAME, id, invert ? 'not-in' : 'in');
}

function writeSet(w: NetlinkWriter, table: string, id: number, set: AnonSet): void {
  const { key, interval } = set;
  const elements: Element[] = interval
    ? intervalElements(set.elements)
    : set.elements.map(([v]) => ({ v }));
  w.begin(MSG_NEWSET, NLM_F_CREATE);
  w.string(1, table);
  w.string(2, NAME);
  w.u32(3, SET_ANONYMOUS | SET_CONSTANT | (interval ? SET_INTERVAL : 0));
  w.u32(4, key.type);
  w.u32(5, key.len);
  w.u32(10, id);
  const desc = w.open(9);
  w.u32(1, elements.length);
  w.close(desc);
  w.end();
  writeElementMessages(w, table, NAME, id, elements.length, (i) => {
    const { v, end, open } = elements[i]!;
    if (end) w.u32(3, ELEM_INTERVAL_END);
    const at = dataValueAt(w, 1, key.len);
    // Ports in network order; an address type as the kernel's fib writes it, in host order.
    if (key === INET_SERVICE) w.buffer.writeUInt16BE(v, at);
    else w.buffer.writeUInt32LE(v, at);
    // nftnl's NFTNL_UDATA_SET_ELEM_FLAGS, NFTNL_SET_ELEM_F_INTERVAL_OPEN: a range to the end.
    if (open) w.bytesAttr(6, Uint8Array.of(1, 4, 1, 0, 0, 0));
  });
}

/** A set element: its value, whether it ends an interval, whether its interval runs to the end. */
interface Element {
  v: number;
  end?: boolean;
  open?: boolean;
}

/**
 * An interval set's elements: 0 as an end if the first range starts above it, then each
 * range's start and the end one past it (none past the last port).
 */
function intervalElements(ranges: [number, number][]): Element[] {
  const out: Element[] = [];
  if (ranges[0]![0] !== 0) out.push({ v: 0, end: true });
  for (const [from, to] of ranges) {
    if (to === 0xffff) out.push({ v: from, open: true });
    else out.push({ v: from }, { v: to + 1, end: true });
  }
  return out;
}
