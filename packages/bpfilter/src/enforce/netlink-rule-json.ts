/**
 * The nftables JSON statements bpfilter's translators emit (nft-expr.ts), compiled to the
 * kernel's nf_tables expressions as nft would compile them: payload and meta loads, masks,
 * comparisons, ranges, counters, verdicts, verdict-map lookups, conntrack state, REJECT.
 * Anything else throws {@link NotCompiled}, and the whole table goes through `nft -j -f`.
 */
import {
  dataValue,
  dataValueAt,
  counterData,
  encode,
  encodedValue,
  expr,
  IFNAMSIZ,
  type Loaded,
  NotCompiled,
  verdictData,
  zeroBytes,
} from './netlink-data.js';
import {
  isObject,
  payloadField,
  REG_1,
  REG32_00,
  type RuleContext,
  writeLoad,
  writePayload,
} from './netlink-load.js';
import type { NetlinkWriter } from './netlink-writer.js';
import type { NftExpr } from './nft-expr.js';

// include/uapi/linux/netfilter/nf_tables.h
const REG_VERDICT = 0;
const REJECT_ICMP: Record<string, number> = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
};

/** Writes the expressions of one rule (the NFTA_RULE_EXPRESSIONS list's elements). */
export function writeRuleExpressions(
  w: NetlinkWriter,
  statements: readonly NftExpr[],
  setIds: ReadonlyMap<string, number>,
): void {
  const context: RuleContext = {};
  for (const statement of statements) writeStatement(w, statement, context, setIds);
}

function writeStatement(
  w: NetlinkWriter,
  s: NftExpr,
  context: RuleContext,
  setIds: ReadonlyMap<string, number>,
): void {
  const [key, value] = single(s);
  switch (key) {
    case 'match':
      return writeMatch(w, value as MatchJson, context, setIds);
    case 'counter':
      if (value !== null) throw new NotCompiled('counter with values');
      return writeCounter(w);
    case 'accept':
    case 'drop':
    case 'return':
      if (value !== null) throw new NotCompiled(key);
      return expr(w, 'immediate', () => {
        w.u32(1, REG_VERDICT);
        verdictData(w, 2, key);
      });
    case 'jump':
    case 'goto':
      return expr(w, 'immediate', () => {
        w.u32(1, REG_VERDICT);
        verdictData(w, 2, key, chainOf(value));
      });
    case 'vmap':
      return writeVmap(w, value as { key: unknown; data: unknown }, context, setIds);
    case 'reject':
      return writeReject(w, value as { type?: unknown; expr?: unknown }, context);
    default:
      throw new NotCompiled(key);
  }
}

interface MatchJson {
  op: string;
  left: unknown;
  right: unknown;
}

function writeMatch(
  w: NetlinkWriter,
  m: MatchJson,
  context: RuleContext,
  setIds: ReadonlyMap<string, number>,
): void {
  if (m.op !== '==' && m.op !== '!=') throw new NotCompiled(`match ${m.op}`);
  const eq = m.op === '==';
  if (typeof m.right === 'string' && m.right.startsWith('@'))
    return writeSetLookup(w, eq, m.left, m.right.slice(1), context, setIds);
  let left = m.left;
  let mask: unknown;
  if (isObject(left) && '&' in left) {
    const pair = left['&'];
    if (!Array.isArray(pair) || pair.length !== 2) throw new NotCompiled('&');
    [left, mask] = pair;
  }
  const right = m.right;
  // `ip saddr 10.0.0.0/8`: nft loads just the prefix's whole bytes, or masks the address.
  if (isObject(right) && 'prefix' in right) {
    if (mask !== undefined) throw new NotCompiled('masked prefix');
    const field = payloadField(left, context);
    const { addr, len } = right.prefix as { addr: unknown; len: unknown };
    if (!field.address || typeof len !== 'number' || len <= 0 || len > 32 || len % 1 !== 0)
      throw new NotCompiled('prefix');
    const network = encode({ len: 4, kind: 'address' }, addr);
    if (len % 8 === 0) {
      writePayload(w, { ...field, len: len / 8 });
      return writeCmp(w, eq, network.subarray(0, len / 8));
    }
    writePayload(w, field);
    const bits = zeroBytes(4);
    bits.writeUInt32BE((0xffffffff << (32 - len)) >>> 0);
    writeBitwise(w, bits);
    return writeCmp(w, eq, network);
  }
  const loaded = writeLoad(w, left, context);
  if (mask !== undefined) writeBitwise(w, encode(loaded, mask));
  if (isObject(right) && 'range' in right) {
    const range = right.range;
    if (!Array.isArray(range) || range.length !== 2 || mask !== undefined)
      throw new NotCompiled('range');
    const [from, to] = range.map((v) => encode(loaded, v)) as [Buffer, Buffer];
    if (eq) {
      writeCmpOp(w, 5 /* GTE */, from);
      return writeCmpOp(w, 3 /* LTE */, to);
    }
    return expr(w, 'range', () => {
      w.u32(1, REG_1);
      w.u32(2, 1 /* NFT_RANGE_NEQ */);
      dataValue(w, 3, from);
      dataValue(w, 4, to);
    });
  }
  if (loaded.kind === 'ifname' && typeof right === 'string' && right.endsWith('*')) {
    // A wildcard compares the name's first bytes only, without the NUL.
    const stem = Buffer.from(right.slice(0, -1));
    if (stem.length === 0 || stem.length >= IFNAMSIZ) throw new NotCompiled('ifname wildcard');
    return writeCmp(w, eq, stem);
  }
  writeCmpValue(w, eq, loaded, right);
  // `ip protocol tcp` satisfies the dependency of the tcp fields that follow.
  if (eq && mask === undefined && isPayload(left, 'ip', 'protocol') && typeof right === 'number')
    context.protocol = right;
}

function writeBitwise(w: NetlinkWriter, mask: Buffer): void {
  expr(w, 'bitwise', () => {
    w.u32(1, REG_1);
    w.u32(2, REG_1);
    w.u32(3, mask.length);
    dataValue(w, 4, mask);
    dataValueAt(w, 5, mask.length);
  });
}

function writeCmp(w: NetlinkWriter, eq: boolean, data: Uint8Array): void {
  writeCmpOp(w, eq ? 0 : 1, data);
}

/** A comparison with `value` encoded as `loaded` compares it, written in place. */
function writeCmpValue(w: NetlinkWriter, eq: boolean, loaded: Loaded, value: unknown): void {
  expr(w, 'cmp', () => {
    w.u32(1, REG_1);
    w.u32(2, eq ? 0 : 1);
    encodedValue(w, 3, loaded, value);
  });
}

function writeCmpOp(w: NetlinkWriter, op: number, data: Uint8Array): void {
  expr(w, 'cmp', () => {
    w.u32(1, REG_1);
    w.u32(2, op);
    dataValue(w, 3, data);
  });
}

function writeCounter(w: NetlinkWriter): void {
  expr(w, 'counter', () => counterData(w));
}

/** `KEY vmap @MAP`: the key's fields in consecutive 32-bit registers, then the lookup. */
function writeVmap(
  w: NetlinkWriter,
  vmap: { key: unknown; data: unknown },
  context: RuleContext,
  setIds: ReadonlyMap<string, number>,
): void {
  const name = typeof vmap.data === 'string' && vmap.data.startsWith('@') ? vmap.data.slice(1) : '';
  writeLookup(w, vmap.key, name, context, setIds, (w) => w.u32(3, REG_VERDICT));
}

/** `KEY @SET` or `KEY != @SET`: the lookup of a named set (NFT_LOOKUP_F_INV for `!=`). */
function writeSetLookup(
  w: NetlinkWriter,
  eq: boolean,
  key: unknown,
  name: string,
  context: RuleContext,
  setIds: ReadonlyMap<string, number>,
): void {
  writeLookup(w, key, name, context, setIds, (w) => {
    if (!eq) w.u32(5 /* NFTA_LOOKUP_FLAGS */, 1 /* NFT_LOOKUP_F_INV */);
  });
}

/** The key's parts in consecutive 32-bit registers, then a lookup in set `name`. */
function writeLookup(
  w: NetlinkWriter,
  key: unknown,
  name: string,
  context: RuleContext,
  setIds: ReadonlyMap<string, number>,
  more: (w: NetlinkWriter) => void,
): void {
  const id = setIds.get(name);
  if (id === undefined) throw new NotCompiled('lookup of a set outside the batch');
  const parts = isObject(key) && 'concat' in key ? (key.concat as unknown[]) : [key];
  let word = 0;
  for (const part of parts) {
    const loaded = writeLoad(w, part, context, word === 0 ? REG_1 : REG32_00 + word);
    word += Math.ceil(loaded.len / 4);
  }
  expr(w, 'lookup', () => {
    w.string(1, name);
    w.u32(2, REG_1);
    more(w);
    w.u32(4, id);
  });
}

function writeReject(
  w: NetlinkWriter,
  reject: { type?: unknown; expr?: unknown },
  context: RuleContext,
): void {
  let type: number;
  let code: number | undefined;
  if (reject.type === 'tcp reset' && reject.expr === undefined && context.protocol === 6) type = 1;
  else if (reject.type === 'icmp' && typeof reject.expr === 'string') {
    type = 0;
    code = REJECT_ICMP[reject.expr];
  } else throw new NotCompiled('reject');
  if (type === 0 && code === undefined) throw new NotCompiled('reject code');
  expr(w, 'reject', () => {
    w.u32(1, type);
    w.bytesAttr(2, Uint8Array.of(code ?? 0));
  });
}

function chainOf(value: unknown): string {
  const target = isObject(value) ? value.target : undefined;
  if (typeof target !== 'string') throw new NotCompiled('jump target');
  return target;
}

function single(s: NftExpr): [string, unknown] {
  const keys = Object.keys(s);
  if (keys.length !== 1) throw new NotCompiled('statement');
  return [keys[0]!, s[keys[0]!]];
}

function isPayload(left: unknown, protocol: string, field: string): boolean {
  if (!isObject(left) || !('payload' in left)) return false;
  const p = left.payload as { protocol?: unknown; field?: unknown };
  return p.protocol === protocol && p.field === field;
}
