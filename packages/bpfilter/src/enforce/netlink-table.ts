/**
 * A replace transaction written straight from laid-out tables (table-layout.ts) as the
 * nf_tables netlink messages nft sends for the same transaction as JSON (translate-table.ts's
 * `replaceTransaction`): tables, chains, verdict maps and key sets with their elements, rules
 * (netlink-rule.ts). In the JSON's order, so that each message names the command it stands
 * for. The native helper frames and sends them as one batch. A rule outside what the compiler
 * covers throws {@link NotCompiled} (nft gets the JSON).
 */
import { dataValueAt, NotCompiled, verdictData, writeCounterExpr } from './netlink-data.js';
import {
  FIELDS,
  META_IIFNAME,
  META_OIFNAME,
  REG_1,
  REG32_00,
  CmpOp,
  cmpNumber,
  counter,
  lookup,
  metaName,
  payload,
  verdict,
} from './netlink-expr.js';
import { writeRule } from './netlink-rule.js';
import { NetlinkWriter } from './netlink-writer.js';
import { ruleComment } from './nft-sets.js';
import type { ExactKey, KeyField } from './rule-shape.js';
import type { ChainLayout, TableLayout } from './table-layout.js';

/** The messages of a batch, and for each the command it came from (to name a refusal). */
export interface NetlinkBatch {
  bytes: Buffer;
  /** Index into the transaction's commands (its nft JSON), per message. */
  commandOf: number[];
}

// include/uapi/linux/netfilter/nf_tables.h, netlink.h
const MSG = { newTable: 0, delTable: 2, newChain: 3, newRule: 6, newSet: 9, newSetElem: 12 };
const NLM_F_CREATE = 0x400;
const NLM_F_APPEND = 0x800;
const HOOKS = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 } as const;
/** nft's datatype ids and sizes of the key types bpfilter uses (nftables datatype.h). */
interface KeyType {
  id: number;
  len: number;
}
const IPV4_ADDR: KeyType = { id: 7, len: 4 };
const INET_PROTO: KeyType = { id: 12, len: 1 };
const INET_SERVICE: KeyType = { id: 13, len: 2 };
const IFNAME: KeyType = { id: 41, len: 16 };
const KEY_TYPE: Record<KeyField, KeyType> = {
  saddr: IPV4_ADDR,
  daddr: IPV4_ADDR,
  iifname: IFNAME,
  oifname: IFNAME,
  sport: INET_SERVICE,
  dport: INET_SERVICE,
};
const NFT_DATA_VERDICT = 0xffffff00;
const NFT_SET_MAP = 0x8;
/** Element lists are split before their attribute's 16-bit length can overflow. */
const ELEMENTS_PER_MESSAGE_BYTES = 48 * 1024;

/**
 * The transaction that makes the kernel hold exactly `tables` (and deletes the nft tables
 * `drop`), as netlink messages (`capacity`: the bytes expected).
 * @throws NotCompiled for a rule only nft compiles; RangeError for an attribute past 64 KiB.
 */
export function compileTransaction(
  tables: readonly TableLayout[],
  drop: readonly string[] = [],
  capacity?: number,
): NetlinkBatch {
  const w = new NetlinkWriter(capacity);
  const commandOf: number[] = [];
  let command = 0;
  /** Ends the messages of one JSON command. */
  const commandDone = (before: number) => {
    for (let m = before; m < w.count; m++) commandOf.push(command);
    command++;
  };
  const tableMessage = (type: number, flags: number, name: string) => {
    const before = w.count;
    w.begin(type, flags);
    w.string(1, name);
    w.end();
    commandDone(before);
  };
  for (const name of drop) {
    tableMessage(MSG.newTable, NLM_F_CREATE, name);
    tableMessage(MSG.delTable, 0, name);
  }
  let setCount = 0;
  for (const table of tables) {
    const nftTable = table.nftTable;
    tableMessage(MSG.newTable, NLM_F_CREATE, nftTable);
    tableMessage(MSG.delTable, 0, nftTable);
    tableMessage(MSG.newTable, NLM_F_CREATE, nftTable);
    for (const chain of table.chains) {
      let before = w.count;
      writeChain(w, nftTable, chain);
      commandDone(before);
      for (const item of chain.items) {
        if (item.kind !== 'segment') continue;
        before = w.count;
        writeChain(w, nftTable, { name: item.chain });
        commandDone(before);
      }
    }
    const setIds = new Map<string, number>();
    const addSet = (name: string, write: (id: number) => void, elements: (id: number) => void) => {
      const id = ++setCount;
      setIds.set(name, id);
      let before = w.count;
      write(id);
      commandDone(before);
      before = w.count;
      elements(id);
      commandDone(before);
    };
    for (const chain of table.chains)
      for (const item of chain.items) {
        if (item.kind === 'map') {
          const key = item.members[0]!.key;
          const types = key.fields.map((f) => KEY_TYPE[f]);
          addSet(
            item.name,
            (id) => writeMapHeader(w, nftTable, item.name, types, id),
            (id) => writeElements(w, nftTable, item.name, id, item.members, types, chain),
          );
        } else if (item.kind === 'segment') {
          item.shapes.forEach(({ shape, keys }, i) => {
            const name = item.sets[i]!;
            const types = segmentKeyTypes(shape);
            addSet(
              name,
              (id) => writeSetHeader(w, nftTable, name, 0, types, id),
              (id) => writeKeys(w, nftTable, name, id, keys, types),
            );
          });
        }
      }
    for (const chain of table.chains) {
      const rule = (into: string, body: () => void) => {
        const before = w.count;
        w.begin(MSG.newRule, NLM_F_CREATE | NLM_F_APPEND);
        w.string(1, nftTable);
        w.string(2, into);
        const list = w.open(4);
        body();
        w.close(list);
        w.end();
        commandDone(before);
      };
      for (const item of chain.items) {
        if (item.kind === 'rule') {
          rule(chain.name, () => writeRule(w, chain.rules[item.index]!));
        } else if (item.kind === 'segment') {
          const { shapes, sets } = item;
          shapes.forEach((_, i) =>
            rule(chain.name, () => {
              writeSetTest(w, shapes[i]!.shape, sets[i]!, setIds, 'in');
              for (let b = 0; b < i; b++)
                writeSetTest(w, shapes[b]!.shape, sets[b]!, setIds, 'not-in');
              verdict(w, 'jump', item.chain);
            }),
          );
          for (const { index } of item.members)
            rule(item.chain, () => writeRule(w, chain.rules[index]!));
        } else {
          rule(chain.name, () => {
            const { protocol, fields } = item.members[0]!.key;
            if (protocol !== 0) {
              payload(w, FIELDS.protocol);
              cmpNumber(w, CmpOp.eq, 1, protocol);
            } else if (fields.includes('sport') || fields.includes('dport'))
              throw new NotCompiled('transport field without its protocol');
            loadKey(w, fields);
            lookup(w, item.name, setIds.get(item.name)!, 'vmap');
          });
        }
      }
      rule(chain.name, () => {
        counter(w);
        if (chain.policy !== undefined) verdict(w, chain.policy);
      });
    }
  }
  return { bytes: w.bytes(), commandOf };
}

function writeChain(
  w: NetlinkWriter,
  table: string,
  chain: Pick<ChainLayout, 'name' | 'spec' | 'policy'>,
): void {
  w.begin(MSG.newChain, NLM_F_CREATE);
  w.string(1, table);
  w.string(3, chain.name);
  const { spec, policy } = chain;
  if (spec !== undefined) {
    const hook = w.open(4);
    w.u32(1, HOOKS[spec.hook]);
    w.u32(2, spec.prio);
    w.close(hook);
    if (policy !== undefined) w.u32(5, policy === 'accept' ? 1 : 0);
    w.string(7, spec.type);
  }
  w.end();
}

/** A segment's key: `ip protocol` first when its shape has one, ports of any protocol. */
function segmentKeyTypes(shape: ExactKey): KeyType[] {
  const types = shape.fields.map((f) => KEY_TYPE[f]);
  if (shape.protocol !== 0) types.unshift(INET_PROTO);
  return types;
}

function writeMapHeader(
  w: NetlinkWriter,
  table: string,
  name: string,
  key: KeyType[],
  id: number,
): void {
  w.begin(MSG.newSet, NLM_F_CREATE);
  writeSetAttributes(w, table, name, NFT_SET_MAP, key);
  w.u32(6, NFT_DATA_VERDICT);
  w.u32(10, id);
  writeCounterExpr(w, 17 /* NFTA_SET_EXPR */);
  w.end();
}

function writeSetHeader(
  w: NetlinkWriter,
  table: string,
  name: string,
  flags: number,
  key: KeyType[],
  id: number,
): void {
  w.begin(MSG.newSet, NLM_F_CREATE);
  writeSetAttributes(w, table, name, flags, key);
  w.u32(10, id);
  w.end();
}

function writeSetAttributes(
  w: NetlinkWriter,
  table: string,
  name: string,
  flags: number,
  key: KeyType[],
): void {
  w.string(1, table);
  w.string(2, name);
  w.u32(3, flags);
  // A concatenation's type is its parts' ids, 6 bits each (nft's concat_subtype_add).
  w.u32(4, key.length === 1 ? key[0]!.id : key.reduce((acc, k) => acc * 64 + k.id, 0));
  w.u32(5, keyLength(key));
}

function keyLength(key: readonly KeyType[]): number {
  if (key.length === 1) return key[0]!.len;
  return key.reduce((sum, k) => sum + ((k.len + 3) & ~3), 0);
}

/**
 * NEWSETELEM messages of `count` elements, as many as their size needs; `element(i)` writes
 * the attributes of element i.
 */
function writeElementMessages(
  w: NetlinkWriter,
  table: string,
  name: string,
  id: number,
  count: number,
  element: (i: number) => void,
): void {
  let i = 0;
  while (i < count) {
    w.begin(MSG.newSetElem, NLM_F_CREATE);
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

/** A verdict map's elements: each rule's key, verdict, `rule N` comment and counter. */
function writeElements(
  w: NetlinkWriter,
  table: string,
  name: string,
  id: number,
  members: readonly { index: number; key: ExactKey }[],
  types: readonly KeyType[],
  chain: ChainLayout,
): void {
  writeElementMessages(w, table, name, id, members.length, (i) => {
    const { index, key } = members[i]!;
    writeKey(w, key, types, false);
    const target = chain.rules[index]!.target;
    if (target.kind === 'jump' || target.kind === 'goto')
      verdictData(w, 2, target.kind, target.chain);
    else if (target.kind === 'verdict' && target.verdict !== 'QUEUE')
      verdictData(w, 2, target.verdict.toLowerCase());
    else throw new NotCompiled('element verdict');
    writeComment(w, ruleComment(index));
    writeCounterExpr(w, 7 /* NFTA_SET_ELEM_EXPR */);
  });
}

/** A segment's key set: each key once. */
function writeKeys(
  w: NetlinkWriter,
  table: string,
  name: string,
  id: number,
  keys: readonly ExactKey[],
  types: readonly KeyType[],
): void {
  writeElementMessages(w, table, name, id, keys.length, (i) => writeKey(w, keys[i]!, types, true));
}

/**
 * NFTA_SET_ELEM_KEY of `key`: each part of a concatenation in whole 32-bit words, zero
 * padded, the protocol first for a segment's set (`withProtocol`); written in place.
 */
function writeKey(
  w: NetlinkWriter,
  key: ExactKey,
  types: readonly KeyType[],
  withProtocol: boolean,
): void {
  const at = dataValueAt(w, 1 /* NFTA_SET_ELEM_KEY */, keyLength(types));
  const b = w.buffer;
  let offset = at;
  let part = 0;
  if (withProtocol && key.protocol !== 0) {
    b[offset] = key.protocol;
    offset += 4;
    part = 1;
  }
  for (let f = 0; f < key.fields.length; f++, part++) {
    const value = key.values[f]!;
    const type = types[part]!;
    if (type === IFNAME) {
      if (typeof value !== 'string' || /[*\\]/.test(value) || Buffer.byteLength(value) >= 16)
        throw new NotCompiled('ifname');
      b.write(value, offset);
    } else if (type === IPV4_ADDR) b.writeUInt32BE(value as number, offset);
    else b.writeUInt16BE(value as number, offset);
    offset += (type.len + 3) & ~3;
  }
}

/** nftnl's udata TLV of an element comment: type 0, length, the text and its NUL. */
function writeComment(w: NetlinkWriter, text: string): void {
  const length = text.length + 1;
  const at = w.zeroed(6 /* NFTA_SET_ELEM_USERDATA */, 2 + length);
  w.buffer[at + 1] = length;
  w.buffer.write(text, at + 2, 'latin1');
}

/**
 * The fields of a key loaded into consecutive 32-bit registers, from the `word`th on (0 is
 * register 1): an interface name takes four, an address or a port one.
 */
function loadKey(w: NetlinkWriter, fields: readonly KeyField[], word = 0): void {
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
function writeSetTest(
  w: NetlinkWriter,
  shape: ExactKey,
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
