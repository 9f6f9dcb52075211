/**
 * The nf_tables expressions of a rule, written as netlink attributes in place (nft's own
 * encodings, include/uapi/linux/netfilter/nf_tables.h): loads into registers (payload, meta,
 * ct), bitwise masks, comparisons, ranges, counters, verdicts, set lookups and reject. Each
 * writes one NFTA_LIST_ELEM of a rule's expression list; constants go straight into the
 * writer's buffer.
 */
import { dataValueAt, EXPR_DATA, EXPR_NAME, NotCompiled, verdictData } from './netlink-data.js';
import { ExprTemplates } from './netlink-templates.js';
import type { NetlinkWriter } from './netlink-writer.js';

/** The first 128-bit data register (the same bytes as {@link REG32_00}). */
export const REG_1 = 1;
/** The first 32-bit data register. */
export const REG32_00 = 8;
const REG_VERDICT = 0;

/** Comparison operators (enum nft_cmp_ops). */
export const CmpOp = { eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 } as const;

const LIST_ELEM = 1;

/** Where a header field is: payload base (0 link, 1 network, 2 transport), offset, length. */
export interface Field {
  base: 0 | 1 | 2;
  offset: number;
  len: number;
}

/** Header fields bpfilter loads (the `ip` and transport headers). */
export const FIELDS = {
  saddr: { base: 1, offset: 12, len: 4 },
  daddr: { base: 1, offset: 16, len: 4 },
  protocol: { base: 1, offset: 9, len: 1 },
  fragOff: { base: 1, offset: 6, len: 2 },
  sport: { base: 2, offset: 0, len: 2 },
  dport: { base: 2, offset: 2, len: 2 },
  tcpFlags: { base: 2, offset: 13, len: 1 },
  icmpType: { base: 2, offset: 0, len: 1 },
  icmpCode: { base: 2, offset: 1, len: 1 },
} as const satisfies Record<string, Field>;

/** NFT_META_IIFNAME / OIFNAME. */
export const META_IIFNAME = 6;
export const META_OIFNAME = 7;

/** Starts expression `name`; its attributes follow; end it with {@link endExpr}. */
export function beginExpr(w: NetlinkWriter, name: string): number {
  const element = w.open(LIST_ELEM);
  w.string(EXPR_NAME, name);
  w.open(EXPR_DATA);
  return element;
}

/** Ends the expression begun at `element` (its data attribute follows its name's). */
export function endExpr(w: NetlinkWriter, element: number): void {
  const name = element + 4;
  w.close(name + ((w.buffer.readUInt16LE(name) + 3) & ~3));
  w.close(element);
}

// The expressions below kept as bytes (netlink-templates.ts), by what they hold: keys
// below 2^30 (V8's small integers), or not kept.
const PAYLOADS = new ExprTemplates();
const METAS = new ExprTemplates();
const CMPS = new ExprTemplates();
const BITWISES = new ExprTemplates();
const ONE_OF_A_KIND = new ExprTemplates();
/** Keys of {@link ONE_OF_A_KIND}. */
const COUNTER = 0;
const CT_LOAD = { state: 1, status: 2 } as const;
/** Then verdicts without a chain, by their code in {@link VERDICT_KEYS}, from here on. */
const VERDICT_BASE = 8;
const VERDICT_KEYS: Readonly<Record<string, number>> = { accept: 0, drop: 1, return: 2 };

/** `payload load` of `field` into `dreg`. */
export function payload(w: NetlinkWriter, field: Field, dreg: number = REG_1): void {
  const { base, offset, len } = field;
  const key =
    offset < 4096 && len < 256 && dreg < 32
      ? (((offset << 8) | len) << 7) | (base << 5) | dreg
      : -1;
  if (key >= 0 && PAYLOADS.copy(w, key) >= 0) return;
  const e = beginExpr(w, 'payload');
  w.u32(1, dreg);
  w.u32(2, base);
  w.u32(3, offset);
  w.u32(4, len);
  endExpr(w, e);
  if (key >= 0) PAYLOADS.keep(w, key, e);
}

/** `meta load` of `key` (an interface name, 16 bytes) into `dreg`. */
export function metaName(w: NetlinkWriter, key: number, dreg: number = REG_1): void {
  const kept = key < 256 && dreg < 32 ? (key << 5) | dreg : -1;
  if (kept >= 0 && METAS.copy(w, kept) >= 0) return;
  const e = beginExpr(w, 'meta');
  w.u32(1, dreg);
  w.u32(2, key);
  endExpr(w, e);
  if (kept >= 0) METAS.keep(w, kept, e);
}

/** `ct load state` or `ct load status` into register 1 (4 bytes, host order). */
export function ctLoad(w: NetlinkWriter, key: 'state' | 'status'): void {
  if (ONE_OF_A_KIND.copy(w, CT_LOAD[key]) >= 0) return;
  const e = beginExpr(w, 'ct');
  w.u32(1, REG_1);
  w.u32(2, key === 'state' ? 0 /* NFT_CT_STATE */ : 2 /* NFT_CT_STATUS */);
  endExpr(w, e);
  ONE_OF_A_KIND.keep(w, CT_LOAD[key], e);
}

/**
 * `cmp` of register 1 with a `len`-byte constant; returns where the constant goes in
 * `w.buffer` (zeroed, for the caller to write before the next write).
 */
export function cmpAt(w: NetlinkWriter, op: number, len: number): number {
  const key = op < 256 && len < 256 ? (op << 8) | len : -1;
  const copied = key >= 0 ? CMPS.copy(w, key) : -1;
  if (copied >= 0) return copied;
  const e = beginExpr(w, 'cmp');
  w.u32(1, REG_1);
  w.u32(2, op);
  const at = dataValueAt(w, 3, len);
  endExpr(w, e);
  if (key >= 0) CMPS.keep(w, key, e, at);
  return at;
}

/** `cmp` of register 1 with `value`, `len` bytes in network order. */
export function cmpNumber(w: NetlinkWriter, op: number, len: number, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (8 * len))
    throw new NotCompiled('value');
  // The buffer read after the write that may have grown it.
  const at = cmpAt(w, op, len);
  storeBE(w.buffer, at, len, value);
}

/**
 * `value` in network order, `len` (1 to 6) bytes from `at`: byte stores, where Buffer's
 * writeUIntBE checks its arguments on each of a large table's values.
 */
function storeBE(b: Uint8Array, at: number, len: number, value: number): void {
  for (let k = len - 1, v = value; k >= 0; k--, v = Math.floor(v / 256)) b[at + k] = v % 256;
}

/** `cmp` of register 1 with `bytes`. */
export function cmpBytes(w: NetlinkWriter, op: number, bytes: Uint8Array): void {
  const at = cmpAt(w, op, bytes.length);
  w.buffer.set(bytes, at);
}

/**
 * `bitwise` of register 1 with a `len`-byte mask (and a zero xor); returns where the mask
 * goes in `w.buffer`.
 */
export function bitwiseAt(w: NetlinkWriter, len: number): number {
  const copied = len < 256 ? BITWISES.copy(w, len) : -1;
  if (copied >= 0) return copied;
  const e = beginExpr(w, 'bitwise');
  w.u32(1, REG_1);
  w.u32(2, REG_1);
  w.u32(3, len);
  const at = dataValueAt(w, 4, len);
  dataValueAt(w, 5, len);
  endExpr(w, e);
  if (len < 256) BITWISES.keep(w, len, e, at);
  return at;
}

/** `bitwise` of register 1 with `mask`, `len` bytes in network order. */
export function bitwiseNumber(w: NetlinkWriter, len: number, mask: number): void {
  if (!Number.isInteger(mask) || mask < 0 || mask >= 2 ** (8 * len)) throw new NotCompiled('value');
  const at = bitwiseAt(w, len);
  storeBE(w.buffer, at, len, mask);
}

/**
 * Register 1 within `from`..`to` (`len` bytes each, network order, read from `bytes` at
 * those offsets), or outside it: two comparisons, or one `range` expression for outside.
 */
export function inRange(
  w: NetlinkWriter,
  eq: boolean,
  len: number,
  bytes: Uint8Array,
  from: number,
  to: number,
): void {
  if (eq) {
    cmpBytes(w, CmpOp.gte, bytes.subarray(from, from + len));
    cmpBytes(w, CmpOp.lte, bytes.subarray(to, to + len));
    return;
  }
  const e = beginExpr(w, 'range');
  w.u32(1, REG_1);
  w.u32(2, 1 /* NFT_RANGE_NEQ */);
  // The buffer is read after each attribute is written: writing it may have grown it.
  const low = dataValueAt(w, 3, len);
  w.buffer.set(bytes.subarray(from, from + len), low);
  const high = dataValueAt(w, 4, len);
  w.buffer.set(bytes.subarray(to, to + len), high);
  endExpr(w, e);
}

/** A `counter` starting from zero (its data empty, as nft writes it: netlink-data.ts). */
export function counter(w: NetlinkWriter): void {
  if (ONE_OF_A_KIND.copy(w, COUNTER) >= 0) return;
  const e = beginExpr(w, 'counter');
  endExpr(w, e);
  ONE_OF_A_KIND.keep(w, COUNTER, e);
}

/** An `immediate` verdict: accept, drop, return, or jump/goto `chain`. */
export function verdict(w: NetlinkWriter, code: string, chain?: string): void {
  const known = chain === undefined ? VERDICT_KEYS[code] : undefined;
  const key = known === undefined ? -1 : VERDICT_BASE + known;
  if (key >= 0 && ONE_OF_A_KIND.copy(w, key) >= 0) return;
  const e = beginExpr(w, 'immediate');
  w.u32(1, REG_VERDICT);
  verdictData(w, 2, code, chain);
  endExpr(w, e);
  if (key >= 0) ONE_OF_A_KIND.keep(w, key, e);
}

/**
 * A `lookup` of the key in the registers from register 1 in set `name` (`id` in the batch):
 * into the verdict register for a verdict map, its data into register 1 (`data`: a map of
 * values), or as a test (inverted for `!=`).
 */
export function lookup(
  w: NetlinkWriter,
  name: string,
  id: number,
  use: 'vmap' | 'in' | 'not-in' | 'data',
): void {
  const e = beginExpr(w, 'lookup');
  w.string(1, name);
  w.u32(2, REG_1);
  if (use === 'vmap') w.u32(3, REG_VERDICT);
  else if (use === 'data') w.u32(3, REG_1);
  else if (use === 'not-in') w.u32(5 /* NFTA_LOOKUP_FLAGS */, 1 /* NFT_LOOKUP_F_INV */);
  w.u32(4, id);
  endExpr(w, e);
}

/** `reject`: type 0 (ICMP unreachable with `code`) or 1 (TCP reset). */
export function reject(w: NetlinkWriter, type: 0 | 1, code: number): void {
  const e = beginExpr(w, 'reject');
  w.u32(1, type);
  w.u8(2, code);
  endExpr(w, e);
}
