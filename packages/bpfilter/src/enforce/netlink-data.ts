/**
 * The data nf_tables expressions and set elements carry, written as netlink attributes:
 * constants encoded as the kernel compares them (network order for header fields, host order
 * for conntrack state, zero-padded interface names), verdicts, counters, and the expression
 * wrapper itself. Shared by the rule compiler (netlink-rule.ts) and the batch (netlink-batch.ts).
 */
import { parseIpv4 } from '../abi/index.js';
import type { NetlinkWriter } from './netlink-writer.js';

/** A statement this compiler does not handle (nft does). */
export class NotCompiled extends Error {}

// include/uapi/linux/netfilter/nf_tables.h
const LIST_ELEM = 1;
const EXPR_NAME = 1;
const EXPR_DATA = 2;
const VERDICT_CODE = 1;
const VERDICT_CHAIN = 2;
const DATA_VALUE = 1;
const DATA_VERDICT = 2;
const VERDICTS: Record<string, number> = { accept: 1, drop: 0, return: -5, jump: -3, goto: -4 };
/** IFNAMSIZ: an interface name and its NUL. */
export const IFNAMSIZ = 16;

/** A value loaded into a register: how to encode constants compared with it. */
export interface Loaded {
  len: number;
  kind: 'number' | 'address' | 'ifname' | 'host';
}

/** A counter expression's NAME and DATA, where an attribute holds one expression. */
export function writeCounterExpr(w: NetlinkWriter, type: number): void {
  const mark = w.open(type);
  w.string(EXPR_NAME, 'counter');
  const body = w.open(EXPR_DATA);
  counterData(w);
  w.close(body);
  w.close(mark);
}

/** A new counter's bytes and packets, both 0 (written as zero bytes: no BigInt per counter). */
export function counterData(w: NetlinkWriter): void {
  w.zeroed(1, 8); // NFTA_COUNTER_BYTES
  w.zeroed(2, 8); // NFTA_COUNTER_PACKETS
}

/** A constant as the kernel compares it with a loaded value. */
export function encode(loaded: Loaded, value: unknown): Buffer {
  const out = zeroBytes(loaded.len);
  encodeInto(loaded, value, out, 0);
  return out;
}

/** {@link encode} into `out` at `offset` (which must have `loaded.len` zero bytes there). */
export function encodeInto(loaded: Loaded, value: unknown, out: Buffer, offset: number): void {
  if (loaded.kind === 'ifname') {
    if (typeof value !== 'string' || /[*\\]/.test(value) || Buffer.byteLength(value) >= IFNAMSIZ)
      throw new NotCompiled('ifname');
    out.write(value, offset);
    return;
  }
  if (loaded.kind === 'address' && typeof value === 'string') {
    try {
      out.writeUInt32BE(parseIpv4(value), offset);
    } catch {
      throw new NotCompiled('address');
    }
    return;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new NotCompiled('value');
  if (loaded.kind === 'host') out.writeUInt32LE(value >>> 0, offset);
  else if (value >= 2 ** (8 * loaded.len)) throw new NotCompiled('value too large');
  else out.writeUIntBE(value, offset, loaded.len);
}

/** One expression: NFTA_LIST_ELEM { NAME, DATA { ... } }. */
export function expr(w: NetlinkWriter, name: string, data: () => void): void {
  const element = w.open(LIST_ELEM);
  w.string(EXPR_NAME, name);
  const body = w.open(EXPR_DATA);
  data();
  w.close(body);
  w.close(element);
}

/** NFTA_DATA_VALUE in attribute `type`. */
export function dataValue(w: NetlinkWriter, type: number, value: Uint8Array): void {
  const mark = w.open(type);
  w.bytesAttr(DATA_VALUE, value);
  w.close(mark);
}

/**
 * NFTA_DATA_VALUE of `size` zero bytes in attribute `type`, for a value written in place;
 * returns where the value starts in `w.buffer`.
 */
export function dataValueAt(w: NetlinkWriter, type: number, size: number): number {
  const mark = w.open(type);
  const at = w.zeroed(DATA_VALUE, size);
  w.close(mark);
  return at;
}

/** NFTA_DATA_VALUE in attribute `type`: `value` as the kernel compares it with `loaded`. */
export function encodedValue(w: NetlinkWriter, type: number, loaded: Loaded, value: unknown): void {
  const at = dataValueAt(w, type, loaded.len);
  // The buffer after the attribute is written: writing it may have grown it.
  encodeInto(loaded, value, w.buffer, at);
}

/** `size` zero bytes from Node's shared pool (a table compiles thousands of small constants). */
export function zeroBytes(size: number): Buffer {
  return Buffer.allocUnsafe(size).fill(0);
}

/** NFTA_DATA_VERDICT in attribute `type`. */
export function verdictData(w: NetlinkWriter, type: number, verdict: string, chain?: string): void {
  const code = VERDICTS[verdict];
  if (code === undefined) throw new NotCompiled(verdict);
  const outer = w.open(type);
  const inner = w.open(DATA_VERDICT);
  w.u32(VERDICT_CODE, code);
  if (chain !== undefined) w.string(VERDICT_CHAIN, chain);
  w.close(inner);
  w.close(outer);
}
