/**
 * The data nf_tables expressions and set elements carry, written as netlink attributes:
 * values written in place, verdicts, counters. Shared by the expressions (netlink-expr.ts)
 * and the table's messages (netlink-table.ts).
 */
import type { NetlinkWriter } from './netlink-writer.js';

/** A statement this compiler does not handle (nft does). */
export class NotCompiled extends Error {}

// include/uapi/linux/netfilter/nf_tables.h
/** An expression's NAME and DATA attributes (NFTA_EXPR_*). */
export const EXPR_NAME = 1;
export const EXPR_DATA = 2;
const VERDICT_CODE = 1;
const VERDICT_CHAIN = 2;
const DATA_VALUE = 1;
const DATA_VERDICT = 2;
const VERDICTS: Record<string, number> = { accept: 1, drop: 0, return: -5, jump: -3, goto: -4 };
/** IFNAMSIZ: an interface name and its NUL. */
export const IFNAMSIZ = 16;

/** The bytes of the interface names met: a table names a few, in many rules. */
const nameBytes = new Map<string, Buffer>();

/** Interface name `name` as UTF-8 (as Buffer's `write` writes it), without its NUL. */
export function ifnameBytes(name: string): Buffer {
  let bytes = nameBytes.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name);
    if (nameBytes.size < 1024) nameBytes.set(name, bytes);
  }
  return bytes;
}

/**
 * A counter expression's NAME and DATA, where an attribute holds one expression. Its data is
 * empty, as nft writes it: a counter without NFTA_COUNTER_BYTES and NFTA_COUNTER_PACKETS
 * starts from 0 (nft_counter_do_init), two attributes fewer for the kernel to parse.
 */
export function writeCounterExpr(w: NetlinkWriter, type: number): void {
  const mark = w.open(type);
  w.string(EXPR_NAME, 'counter');
  w.close(w.open(EXPR_DATA));
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
