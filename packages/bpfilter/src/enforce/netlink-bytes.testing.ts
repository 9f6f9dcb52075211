/**
 * Netlink attributes spelled out for the unit tests, to compare a batch with what
 * `nft --debug=mnl` showed nft 1.0.6 send (lengths and types little-endian, u32 values in
 * network order, each attribute padded to 4 bytes).
 */
import { encodeTable } from '../model/encode.js';
import type { Table } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { compileTable } from './compile-table.js';

/** The netlink batch of a filter table whose INPUT holds `rules` (iptables-save lines). */
export function filterBatch(rules: string): Buffer {
  const [parsed] = parseSave(
    `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules}\nCOMMIT\n`,
  );
  return tableBatch(parsed!);
}

/** The netlink batch of `table`. */
export function tableBatch(table: Table): Buffer {
  const encoded = encodeTable(table);
  const { batch } = compileTable({
    name: table.name,
    layout: encoded,
    entries: encoded.entries,
    netlink: true,
  });
  return batch!.bytes;
}

/** An attribute of `type` holding `value`. */
export const attr = (type: number, value: Uint8Array): Buffer => {
  const b = Buffer.alloc((4 + value.length + 3) & ~3);
  b.writeUInt16LE(4 + value.length, 0);
  b.writeUInt16LE(type, 2);
  b.set(value, 4);
  return b;
};

/** A nested attribute. */
export const nest = (type: number, ...inner: Buffer[]): Buffer =>
  attr(type | 0x8000, Buffer.concat(inner));

/** A u32 attribute (network order). */
export const u32 = (type: number, value: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return attr(type, b);
};

/** One expression of a rule's list: its name and data. */
export const expr = (name: string, ...data: Buffer[]): Buffer =>
  nest(1, attr(1, Buffer.from(`${name}\0`)), nest(2, ...data));

/** `immediate` of `value` into register `reg`. */
export const immediate = (reg: number, value: number[]): Buffer =>
  expr('immediate', u32(1, reg), nest(2, attr(1, Uint8Array.from(value))));
