/**
 * A replace transaction (translate-table.ts's `replaceTransaction`, nft JSON commands) as
 * the nf_tables netlink messages nft would send for it: tables, chains, verdict maps and
 * their elements, rules. The native helper frames and sends them as one batch. Commands or
 * statements outside what bpfilter emits throw {@link NotCompiled} (nft gets the batch).
 */
import { NetlinkWriter } from './netlink-writer.js';
import {
  dataValueAt,
  encodeInto,
  type Loaded,
  NotCompiled,
  verdictData,
  writeCounterExpr,
} from './netlink-data.js';
import { writeRuleExpressions } from './netlink-rule-json.js';
import type { NftExpr } from './nft-expr.js';

// include/uapi/linux/netfilter/nf_tables.h, netlink.h
const MSG = { newTable: 0, delTable: 2, newChain: 3, newRule: 6, newSet: 9, newSetElem: 12 };
const NLM_F_CREATE = 0x400;
const NLM_F_APPEND = 0x800;
const HOOKS: Record<string, number> = {
  prerouting: 0,
  input: 1,
  forward: 2,
  output: 3,
  postrouting: 4,
};
const POLICIES: Record<string, number> = { accept: 1, drop: 0 };
/** nft's datatype ids and sizes of the map key types bpfilter uses (nftables datatype.h). */
const KEY_TYPES: Record<string, { id: number } & Loaded> = {
  ipv4_addr: { id: 7, len: 4, kind: 'address' },
  inet_proto: { id: 12, len: 1, kind: 'number' },
  inet_service: { id: 13, len: 2, kind: 'number' },
  ifname: { id: 41, len: 16, kind: 'ifname' },
};
const NFT_DATA_VERDICT = 0xffffff00;
const NFT_SET_MAP = 0x8;
/** Element lists are split before their attribute's 16-bit length can overflow. */
const ELEMENTS_PER_MESSAGE_BYTES = 48 * 1024;

/** The messages of a batch, and for each the command it came from (to name a refusal). */
export interface NetlinkBatch {
  bytes: Buffer;
  /** Index into the transaction's commands, per message. */
  commandOf: number[];
}

/**
 * Compiles `commands` (`capacity`: the bytes expected); throws {@link NotCompiled} for
 * anything nft must do itself.
 */
export function compileBatch(commands: readonly NftExpr[], capacity?: number): NetlinkBatch {
  const w = new NetlinkWriter(capacity);
  const commandOf: number[] = [];
  const sets = new Map<string, { id: number; key: (typeof KEY_TYPES)[string][] }>();
  const setIds = new Map<string, number>();
  commands.forEach((command, index) => {
    const before = w.count;
    const [verb, body] = one(command);
    const [kind, object] = one(body as NftExpr);
    const o = object as Record<string, unknown>;
    if (o.family !== 'ip') throw new NotCompiled('family');
    if (verb === 'delete' && kind === 'table') {
      message(w, MSG.delTable, 0, () => w.string(1, str(o.name)));
    } else if (verb !== 'add') {
      throw new NotCompiled(verb);
    } else if (kind === 'table') {
      message(w, MSG.newTable, NLM_F_CREATE, () => w.string(1, str(o.name)));
    } else if (kind === 'chain') {
      message(w, MSG.newChain, NLM_F_CREATE, () => writeChain(w, o));
    } else if (kind === 'map' || kind === 'set') {
      const key = (Array.isArray(o.type) ? o.type : [o.type]).map((t) => {
        const type = KEY_TYPES[str(t)];
        if (type === undefined) throw new NotCompiled(`map key ${String(t)}`);
        return type;
      });
      const id = sets.size + 1;
      sets.set(`${str(o.table)}\u0000${str(o.name)}`, { id, key });
      setIds.set(str(o.name), id);
      message(w, MSG.newSet, NLM_F_CREATE, () =>
        kind === 'map' ? writeMap(w, o, key, id) : writeSet(w, o, key, id),
      );
    } else if (kind === 'element') {
      const set = sets.get(`${str(o.table)}\u0000${str(o.name)}`);
      if (set === undefined || !Array.isArray(o.elem)) throw new NotCompiled('elements');
      writeElements(w, o, set.key, set.id);
    } else if (kind === 'rule') {
      message(w, MSG.newRule, NLM_F_CREATE | NLM_F_APPEND, () => {
        w.string(1, str(o.table));
        w.string(2, str(o.chain));
        const list = w.open(4);
        writeRuleExpressions(w, o.expr as NftExpr[], setIds);
        w.close(list);
      });
    } else {
      throw new NotCompiled(kind);
    }
    for (let m = before; m < w.count; m++) commandOf.push(index);
  });
  return { bytes: w.bytes(), commandOf };
}

function message(w: NetlinkWriter, type: number, flags: number, body: () => void): void {
  w.begin(type, flags);
  body();
  w.end();
}

function writeChain(w: NetlinkWriter, o: Record<string, unknown>): void {
  w.string(1, str(o.table));
  w.string(3, str(o.name));
  if (o.hook === undefined) return;
  const hook = HOOKS[str(o.hook)];
  const policy = o.policy === undefined ? undefined : POLICIES[str(o.policy)];
  if (
    hook === undefined ||
    typeof o.prio !== 'number' ||
    (o.policy !== undefined && policy === undefined)
  )
    throw new NotCompiled('base chain');
  const mark = w.open(4);
  w.u32(1, hook);
  w.u32(2, o.prio);
  w.close(mark);
  if (policy !== undefined) w.u32(5, policy);
  w.string(7, str(o.type));
}

function writeMap(
  w: NetlinkWriter,
  o: Record<string, unknown>,
  key: (typeof KEY_TYPES)[string][],
  id: number,
): void {
  const stmt = o.stmt as unknown[] | undefined;
  const counted = stmt !== undefined && stmt.length === 1 && isCounter(stmt[0]);
  if (o.map !== 'verdict' || (stmt !== undefined && !counted)) throw new NotCompiled('map');
  writeSetHeader(w, o, NFT_SET_MAP, key);
  w.u32(6, NFT_DATA_VERDICT);
  w.u32(10, id);
  if (counted) writeCounterExpr(w, 17 /* NFTA_SET_EXPR */);
}

/** A set of keys: no data, no statements. */
function writeSet(
  w: NetlinkWriter,
  o: Record<string, unknown>,
  key: (typeof KEY_TYPES)[string][],
  id: number,
): void {
  if (o.stmt !== undefined || o.flags !== undefined) throw new NotCompiled('set');
  writeSetHeader(w, o, 0, key);
  w.u32(10, id);
}

function writeSetHeader(
  w: NetlinkWriter,
  o: Record<string, unknown>,
  flags: number,
  key: (typeof KEY_TYPES)[string][],
): void {
  w.string(1, str(o.table));
  w.string(2, str(o.name));
  w.u32(3, flags);
  // A concatenation's type is its parts' ids, 6 bits each (nft's concat_subtype_add).
  w.u32(4, key.length === 1 ? key[0]!.id : key.reduce((acc, k) => acc * 64 + k.id, 0));
  w.u32(5, keyLength(key));
}

function keyLength(key: (typeof KEY_TYPES)[string][]): number {
  if (key.length === 1) return key[0]!.len;
  return key.reduce((sum, k) => sum + ((k.len + 3) & ~3), 0);
}

/** NEWSETELEM messages for the elements, as many as their size needs. */
function writeElements(
  w: NetlinkWriter,
  o: Record<string, unknown>,
  key: (typeof KEY_TYPES)[string][],
  id: number,
): void {
  const elements = o.elem as unknown[];
  let i = 0;
  while (i < elements.length) {
    message(w, MSG.newSetElem, NLM_F_CREATE, () => {
      w.string(1, str(o.table));
      w.string(2, str(o.name));
      w.u32(4, id);
      const list = w.open(3);
      const start = w.length;
      while (i < elements.length && w.length - start < ELEMENTS_PER_MESSAGE_BYTES)
        writeElement(w, elements[i++], key);
      w.close(list);
    });
  }
}

function writeElement(w: NetlinkWriter, element: unknown, key: (typeof KEY_TYPES)[string][]): void {
  if (!Array.isArray(element)) {
    // A set's element: its key alone.
    const mark = w.open(1 /* NFTA_LIST_ELEM */);
    writeKey(w, 1 /* NFTA_SET_ELEM_KEY */, key.length === 1 ? [element] : concatOf(element), key);
    w.close(mark);
    return;
  }
  if (element.length !== 2) throw new NotCompiled('element');
  const [keyed, verdict] = element as [unknown, NftExpr];
  const elem = (keyed as { elem?: Record<string, unknown> }).elem;
  if (elem === undefined || (elem.counter !== undefined && elem.counter !== null))
    throw new NotCompiled('element');
  const values = key.length === 1 ? [elem.val] : concatOf(elem.val);
  const mark = w.open(1 /* NFTA_LIST_ELEM */);
  writeKey(w, 1 /* NFTA_SET_ELEM_KEY */, values, key);
  const [verb, target] = one(verdict);
  const chain =
    verb === 'jump' || verb === 'goto' ? (target as { target?: unknown }).target : undefined;
  if ((verb === 'jump' || verb === 'goto') && typeof chain !== 'string')
    throw new NotCompiled('element verdict');
  verdictData(w, 2 /* NFTA_SET_ELEM_DATA */, verb, chain as string | undefined);
  if (elem.comment !== undefined)
    w.bytesAttr(6 /* NFTA_SET_ELEM_USERDATA */, comment(elem.comment));
  if ('counter' in elem) writeCounterExpr(w, 7 /* NFTA_SET_ELEM_EXPR */);
  w.close(mark);
}

function concatOf(value: unknown): unknown[] {
  const parts = (value as { concat?: unknown } | null)?.concat;
  if (!Array.isArray(parts)) throw new NotCompiled('element key');
  return parts;
}

/**
 * A key in attribute `type` as the kernel holds it: each part of a concatenation in whole
 * 32-bit words, zero padded; written in place.
 */
function writeKey(
  w: NetlinkWriter,
  type: number,
  values: readonly unknown[],
  key: (typeof KEY_TYPES)[string][],
): void {
  if (values.length !== key.length) throw new NotCompiled('element key');
  const at = dataValueAt(w, type, keyLength(key));
  let offset = 0;
  for (let i = 0; i < key.length; i++) {
    const part = key[i]!;
    encodeInto(part, values[i], w.buffer, at + offset);
    offset += (part.len + 3) & ~3;
  }
}

/** nftnl's udata TLV of an element comment: type 0, length, the text and its NUL. */
function comment(text: unknown): Buffer {
  const value = str(text);
  const length = Buffer.byteLength(value) + 1;
  if (length > 128) throw new NotCompiled('comment');
  // One small buffer per element (a map holds thousands): no concatenation.
  const bytes = Buffer.allocUnsafe(2 + length);
  bytes[0] = 0;
  bytes[1] = length;
  bytes.write(value, 2);
  bytes[1 + length] = 0;
  return bytes;
}

function isCounter(s: unknown): boolean {
  return typeof s === 'object' && s !== null && 'counter' in s && (s as NftExpr).counter === null;
}

function one(o: NftExpr): [string, unknown] {
  const keys = Object.keys(o);
  if (keys.length !== 1) throw new NotCompiled('command');
  return [keys[0]!, o[keys[0]!]];
}

function str(value: unknown): string {
  if (typeof value !== 'string') throw new NotCompiled('name');
  return value;
}
