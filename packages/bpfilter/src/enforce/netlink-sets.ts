/**
 * The verdict maps and key sets of a replace transaction as nf_tables messages: their
 * declarations, their elements (a map's: key, verdict and `rule N` comment, its counter the
 * kernel's copy of the map's; a key set's: the key), and the loads and lookups of a key in a
 * rule. Keys are written in place, each part of a concatenation in whole 32-bit words as the
 * kernel holds them.
 */
import {
  dataValueAt,
  IFNAMSIZ,
  ifnameBytes,
  NotCompiled,
  verdictData,
  writeCounterExpr,
} from './netlink-data.js';
import {
  FIELDS,
  lookup,
  META_IIFNAME,
  META_OIFNAME,
  metaName,
  payload,
  REG_1,
  REG32_00,
} from './netlink-expr.js';
import { NLM_F_CREATE, type NetlinkWriter } from './netlink-writer.js';
import { ruleComment } from './nft-sets.js';
import { IFNAME, IPV4_ADDR, type KeyType } from './key-types.js';
import type { KeyField, KeyShape } from './key-shapes.js';
import { wholeMark } from './mark-maps.js';
import { rejectChain, rejectTypeOf } from './reject-chains.js';
import { jumpChain, type RuleFacts, Target } from './rule-facts.js';
import { keyValue } from './rule-shape.js';
import type { SegmentShape } from './segment-rules.js';

// include/uapi/linux/netfilter/nf_tables.h, netlink.h
export const MSG_NEWSET = 9;
const MSG_NEWSETELEM = 12;

const NFT_DATA_VERDICT = 0xffffff00;
/** nft's mark datatype (TYPE_MARK), a map of marks' data type. */
const MARK_TYPE = 19;
const NFT_SET_INTERVAL = 0x4;
const NFT_SET_MAP = 0x8;
const NFT_SET_CONCAT = 0x80;
/** Element lists are split before their attribute's 16-bit length can overflow. */
const ELEMENTS_PER_MESSAGE_BYTES = 48 * 1024;

/**
 * NEWSET of a verdict map (`data` 'verdict': counting, a counter on each element), a map of
 * marks ('mark', mark-maps.ts) or a set of keys alone ('none'; `counted`: a counted set's, a
 * counter on each element too); `interval`: of ranges (a concatenation's with its parts'
 * lengths, as nft sends them). `size`: how many elements the transaction adds (0: not said).
 * Said, the kernel makes the set a hash table of that size at once; unsaid, it starts one of
 * 4 buckets and grows it while the elements go in (each growth a new table the inserts go
 * through until a worker moves the old one's elements over): the element inserts' slow path
 * was a tenth of the batch helper's kernel CPU for the bench's table. Like nft's `size`, it
 * also caps the set, which only a replace fills.
 */
export function writeSetDeclaration(
  w: NetlinkWriter,
  table: string,
  name: string,
  key: readonly KeyType[],
  id: number,
  data: 'verdict' | 'mark' | 'none',
  interval = false,
  counted = data !== 'none',
  { size = 0 }: { size?: number } = {},
): void {
  const map = data !== 'none';
  w.begin(MSG_NEWSET, NLM_F_CREATE);
  w.string(1, table);
  w.string(2, name);
  const concat = key.length > 1;
  w.u32(
    3,
    (map ? NFT_SET_MAP : 0) | (interval ? NFT_SET_INTERVAL | (concat ? NFT_SET_CONCAT : 0) : 0),
  );
  // A concatenation's type is its parts' ids, 6 bits each (nft's concat_subtype_add).
  w.u32(4, key.length === 1 ? key[0]!.id : key.reduce((acc, k) => acc * 64 + k.id, 0));
  w.u32(5, keyLength(key));
  if (data === 'verdict') w.u32(6, NFT_DATA_VERDICT);
  else if (data === 'mark') {
    w.u32(6, MARK_TYPE);
    w.u32(7 /* NFTA_SET_DATA_LEN */, 4);
  }
  if ((interval && concat) || size > 0) {
    const desc = w.open(9 /* NFTA_SET_DESC */);
    if (size > 0) w.u32(1 /* NFTA_SET_DESC_SIZE */, size);
    if (interval && concat) {
      const parts = w.open(2 /* NFTA_SET_DESC_CONCAT */);
      for (const k of key) {
        const part = w.open(1 /* NFTA_LIST_ELEM */);
        w.u32(1 /* NFTA_SET_FIELD_LEN */, k.len);
        w.close(part);
      }
      w.close(parts);
    }
    w.close(desc);
  }
  w.u32(10, id);
  // nftnl's udata TLVs nft sends with a map of marks (a key in network order, the data in
  // host order, not intervals): its listing reads the marks' byte order from them.
  if (data === 'mark')
    w.buffer.set(
      [0, 4, 2, 0, 0, 0, 1, 4, 1, 0, 0, 0, 6, 4, 0, 0, 0, 0],
      w.zeroed(13 /* NFTA_SET_USERDATA */, 18),
    );
  if (counted) writeCounterExpr(w, 17 /* NFTA_SET_EXPR */);
  w.end();
}

export function keyLength(key: readonly KeyType[]): number {
  if (key.length === 1) return key[0]!.len;
  return key.reduce((sum, k) => sum + ((k.len + 3) & ~3), 0);
}

/**
 * NEWSETELEM messages of `count` elements, as many as their size needs; `element(i)` writes
 * the attributes of element i.
 */
export function writeElementMessages(
  w: NetlinkWriter,
  table: string,
  name: string,
  id: number,
  count: number,
  element: (i: number) => void,
): void {
  let i = 0;
  while (i < count) {
    w.begin(MSG_NEWSETELEM, NLM_F_CREATE);
    w.string(1, table);
    w.string(2, name);
    w.u32(4, id);
    const list = w.open(3);
    const start = w.length;
    while (i < count && w.length - start < ELEMENTS_PER_MESSAGE_BYTES) {
      const mark = w.open(1 /* NFTA_LIST_ELEM */);
      element(i++);
      w.close(mark);
    }
    w.close(list);
    w.end();
  }
}

/**
 * A verdict map's elements: each rule's key, verdict and `rule N` comment (a counted set's:
 * no verdict). No counter of
 * their own (NFTA_SET_ELEM_EXPR), as nft sends them: the kernel gives each element a copy of
 * the map's counter (NFTA_SET_EXPR), where an element's own would be parsed and its
 * expression type looked up by name (a walk of every type the kernel has), per element.
 */
export function writeElements(
  w: NetlinkWriter,
  table: string,
  name: string,
  id: number,
  types: readonly KeyType[],
  facts: RuleFacts,
  first: number,
  map: { shape: KeyShape; members: readonly number[]; kind: string },
): void {
  const { shape, members, kind } = map;
  writeElementMessages(w, table, name, id, members.length, (i) => {
    const index = members[i]!;
    const entry = first + index;
    writeKey(w, facts, entry, shape, types, false);
    writeElementData(w, facts, entry, kind);
    writeComment(w, ruleComment(index));
  });
}

/**
 * NFTA_SET_ELEM_DATA of entry `entry`'s element in a map of `kind`: its verdict (a 'map'), its
 * mark (host order, as the mark register holds it: 'marks'), none (a counted 'set').
 */
export function writeElementData(w: NetlinkWriter, facts: RuleFacts, entry: number, kind: string) {
  if (kind === 'map') writeElementVerdict(w, facts, entry);
  else if (kind === 'marks') {
    // The buffer read after the write that may have grown it.
    const at = dataValueAt(w, 2, 4);
    w.buffer.writeUInt32LE(wholeMark(facts, entry)!, at);
  }
}

/** NFTA_SET_ELEM_DATA of a map element: entry `entry`'s verdict, jump or goto (a reject's too). */
export function writeElementVerdict(w: NetlinkWriter, facts: RuleFacts, entry: number): void {
  const target = facts.target[entry];
  if (target === Target.jump || target === Target.goto)
    verdictData(w, 2, target === Target.jump ? 'jump' : 'goto', jumpChain(facts, entry));
  else if (target === Target.reject)
    verdictData(w, 2, 'goto', rejectChain(rejectTypeOf(facts, entry)));
  else if (target !== undefined && ELEMENT_VERDICTS[target] !== undefined)
    verdictData(w, 2, ELEMENT_VERDICTS[target]!);
  else throw new NotCompiled('element verdict');
}

/** The verdicts a map element can hold, by {@link Target}. */
const ELEMENT_VERDICTS: Partial<Record<number, string>> = {
  [Target.accept]: 'accept',
  [Target.drop]: 'drop',
  [Target.return]: 'return',
};

/** A segment's key set: the key of each rule of `keys` (positions from `first`), each once. */
export function writeKeys(
  w: NetlinkWriter,
  table: string,
  name: string,
  id: number,
  types: readonly KeyType[],
  facts: RuleFacts,
  first: number,
  { shape, keys }: SegmentShape,
): void {
  writeElementMessages(w, table, name, id, keys.length, (i) =>
    writeKey(w, facts, first + keys[i]!, shape, types, true),
  );
}

/**
 * NFTA_SET_ELEM_KEY of entry `entry`'s key: each part of a concatenation in whole 32-bit
 * words, zero padded, the protocol first for a segment's set (`withProtocol`); written in place.
 */
function writeKey(
  w: NetlinkWriter,
  facts: RuleFacts,
  entry: number,
  shape: KeyShape,
  types: readonly KeyType[],
  withProtocol: boolean,
): void {
  const at = dataValueAt(w, 1 /* NFTA_SET_ELEM_KEY */, keyLength(types));
  const b = w.buffer;
  let offset = at;
  let part = 0;
  if (withProtocol && shape.protocol !== 0) {
    b[offset] = shape.protocol;
    offset += 4;
    part = 1;
  }
  for (let f = 0; f < shape.fields.length; f++, part++) {
    const value = keyValue(facts, entry, shape.fields[f]!);
    const type = types[part]!;
    if (type === IFNAME) {
      const bytes = typeof value === 'string' ? ifnameBytes(value) : undefined;
      if (bytes === undefined || /[*\\]/.test(value as string) || bytes.length >= IFNAMSIZ)
        throw new NotCompiled('ifname');
      b.set(bytes, offset);
    } else {
      // Network byte order, byte by byte: Buffer's write methods check their arguments on
      // each of a large set's elements (a byte store keeps a value's low 8 bits).
      const v = value as number;
      if (type === IPV4_ADDR) {
        b[offset] = v >>> 24;
        b[offset + 1] = v >>> 16;
        b[offset + 2] = v >>> 8;
        b[offset + 3] = v;
      } else {
        b[offset] = v >>> 8;
        b[offset + 1] = v;
      }
    }
    offset += (type.len + 3) & ~3;
  }
}

/**
 * nftnl's udata TLV of an element comment: type 0, length, the text and its NUL; `open`: then
 * the flags TLV NFTNL_SET_ELEM_F_INTERVAL_OPEN (an interval that runs to the key's end).
 */
export function writeComment(w: NetlinkWriter, text: string, open = false): void {
  const length = text.length + 1;
  const at = w.zeroed(6 /* NFTA_SET_ELEM_USERDATA */, 2 + length + (open ? 6 : 0));
  const b = w.buffer;
  b[at + 1] = length;
  // Latin-1 as Buffer.write writes it (each code unit's low byte; a byte store keeps just
  // that), without a call into C++ for every element's few bytes.
  for (let k = 0; k < text.length; k++) b[at + 2 + k] = text.charCodeAt(k);
  if (open) w.buffer.set([1, 4, 1, 0, 0, 0], at + 2 + length);
}

/**
 * The fields of a key loaded into consecutive 32-bit registers, from the `word`th on (0 is
 * register 1): an interface name takes four, an address or a port one.
 */
export function loadKey(w: NetlinkWriter, fields: readonly KeyField[], word = 0): void {
  for (const field of fields) {
    const dreg = word === 0 ? REG_1 : REG32_00 + word;
    if (field === 'iifname' || field === 'oifname') {
      metaName(w, field === 'iifname' ? META_IIFNAME : META_OIFNAME, dreg);
      word += 4;
    } else {
      payload(w, FIELDS[field], dreg);
      word += 1;
    }
  }
}

/** A segment guard's test: the packet's key of `shape` in (or not in) set `name`. */
export function writeSetTest(
  w: NetlinkWriter,
  shape: KeyShape,
  name: string,
  setIds: ReadonlyMap<string, number>,
  use: 'in' | 'not-in',
): void {
  let word = 0;
  if (shape.protocol !== 0) {
    payload(w, FIELDS.protocol);
    word = 1;
  }
  loadKey(w, shape.fields, word);
  lookup(w, name, setIds.get(name)!, use);
}
