/**
 * The nf_tables expressions of the packet extensions (netlink-packet.ts), in nft's own
 * encodings (include/uapi/linux/netfilter/nf_tables.h): limit, numgen, TCP option loads and
 * writes, the route's TCP MSS, byte order, immediate data, meta and ct writes, payload writes
 * with their checksum. Like netlink-expr.ts, each writes one element of a rule's list.
 */
import { dataValueAt } from './netlink-data.js';
import { beginExpr, CmpOp, cmpAt, endExpr, payload, REG_1 } from './netlink-expr.js';
import type { NetlinkWriter } from './netlink-writer.js';

/** Writes one match or target from its info bytes (`protocol`: the rule's `-p`, 0 for none). */
export type PacketWriter = (
  w: NetlinkWriter,
  data: Uint8Array,
  revision: number,
  protocol: number,
) => void;

/** NFT_META_* keys. */
export const MetaKey = {
  priority: 2,
  mark: 3,
  iiftype: 8,
  skuid: 10,
  skgid: 11,
  pkttype: 19,
  prandom: 24,
};
/** NFT_CT_MARK. */
export const CT_MARK = 3;
const NFT_EXTHDR_OP_TCPOPT = 1;
const TCPOPT_MAXSEG = 2;

/** A u64 attribute in network byte order. */
function u64(w: NetlinkWriter, type: number, value: number): void {
  const at = w.zeroed(type, 8);
  w.buffer.writeUInt32BE(Math.floor(value / 2 ** 32), at);
  w.buffer.writeUInt32BE(value >>> 0, at + 4);
}

/** `limit rate RATE/(UNIT seconds) burst BURST packets`. */
export function limit(w: NetlinkWriter, rate: number, unit: number, burst: number): void {
  const e = beginExpr(w, 'limit');
  u64(w, 1, rate);
  u64(w, 2, unit);
  w.u32(3, burst);
  w.u32(4, 0); // NFT_LIMIT_PKTS
  w.u32(5, 0);
  endExpr(w, e);
}

/** `numgen inc mod MODULUS` into register 1 (host order). */
export function numgenInc(w: NetlinkWriter, modulus: number): void {
  const e = beginExpr(w, 'numgen');
  w.u32(1, REG_1);
  w.u32(2, modulus);
  w.u32(3, 0); // NFT_NG_INCREMENTAL
  w.u32(4, 0);
  endExpr(w, e);
}

/** The MSS option of a TCP header: loaded into register 1, or written from it. */
export function tcpMss(w: NetlinkWriter, use: 'load' | 'write'): void {
  const e = beginExpr(w, 'exthdr');
  if (use === 'load') w.u32(1, REG_1);
  w.u8(2, TCPOPT_MAXSEG);
  w.u32(3, 2);
  w.u32(4, 2);
  w.u32(6, NFT_EXTHDR_OP_TCPOPT);
  if (use === 'write') w.u32(7, REG_1);
  endExpr(w, e);
}

/** `rt mtu` (NFT_RT_TCPMSS: the route's MTU less the IP and TCP headers) into register 1. */
export function routeTcpMss(w: NetlinkWriter): void {
  const e = beginExpr(w, 'rt');
  w.u32(1, REG_1);
  w.u32(2, 3); // NFT_RT_TCPMSS
  endExpr(w, e);
}

/** Register 1 from host to network order, `size`-byte words over `len` bytes. */
export function hton(w: NetlinkWriter, len: number, size: number): void {
  const e = beginExpr(w, 'byteorder');
  w.u32(1, REG_1);
  w.u32(2, REG_1);
  w.u32(3, 1); // NFT_BYTEORDER_HTON
  w.u32(4, len);
  w.u32(5, size);
  endExpr(w, e);
}

/** `immediate` of `len` bytes into register `dreg`; returns where they go in `w.buffer`. */
export function immediateAt(w: NetlinkWriter, len: number, dreg: number = REG_1): number {
  const e = beginExpr(w, 'immediate');
  w.u32(1, dreg);
  const at = dataValueAt(w, 2, len);
  endExpr(w, e);
  return at;
}

/** `meta KEY` or `ct KEY` loaded into register 1, or set from it. */
export function metaOrCt(
  w: NetlinkWriter,
  name: 'meta' | 'ct',
  key: number,
  use: 'load' | 'set',
): void {
  const e = beginExpr(w, name);
  if (use === 'load') w.u32(1, REG_1);
  w.u32(2, key);
  if (use === 'set') w.u32(name === 'meta' ? 3 : 4, REG_1);
  endExpr(w, e);
}

/** `bitwise` of register 1: `(reg & mask) ^ xor`, `len` bytes each; returns where mask and xor go. */
export function maskXorAt(w: NetlinkWriter, len: number): [mask: number, xor: number] {
  const e = beginExpr(w, 'bitwise');
  w.u32(1, REG_1);
  w.u32(2, REG_1);
  w.u32(3, len);
  const mask = dataValueAt(w, 4, len);
  const xor = dataValueAt(w, 5, len);
  endExpr(w, e);
  return [mask, xor];
}

/** Register 1 written to the network header at `offset` (`len` bytes), the IP checksum fixed. */
export function networkWrite(w: NetlinkWriter, offset: number, len: number): void {
  // NFT_PAYLOAD_NETWORK_HEADER; the IP header checksum is at its offset 10.
  payloadWrite(w, 1, offset, len, 10);
}

/**
 * Register 1 written to header `base` (1 network, 2 transport) at `offset` (`len` bytes),
 * the checksum at `csumOffset` of that header fixed (NFT_PAYLOAD_CSUM_INET).
 */
export function payloadWrite(
  w: NetlinkWriter,
  base: number,
  offset: number,
  len: number,
  csumOffset: number,
): void {
  const e = beginExpr(w, 'payload');
  w.u32(2, base);
  w.u32(3, offset);
  w.u32(4, len);
  w.u32(5, REG_1);
  w.u32(6, 1); // NFT_PAYLOAD_CSUM_INET
  w.u32(7, csumOffset);
  w.u32(8, 0);
  endExpr(w, e);
}

/** `cmp` of register 1 with a u32 in host order (meta, ct and numgen values). */
export function cmpHost(w: NetlinkWriter, op: number, value: number): void {
  const at = cmpAt(w, op, 4);
  w.buffer.writeUInt32LE(value >>> 0, at);
}

/** A host-order u32 register masked with `mask` (nft leaves out a full mask) and compared. */
export function maskedHost(w: NetlinkWriter, mask: number, value: number, invert: boolean): void {
  if (mask !== 0xffffffff) {
    const [at] = maskXorAt(w, 4);
    w.buffer.writeUInt32LE(mask >>> 0, at);
  }
  cmpHost(w, invert ? CmpOp.neq : CmpOp.eq, value);
}

/** The network header's 16-bit word at `offset` set to `(word & keep) ^ value`, checksum fixed. */
export function rewriteWord(w: NetlinkWriter, offset: number, keep: number, value: number): void {
  payload(w, { base: 1, offset, len: 2 });
  const [mask, xor] = maskXorAt(w, 2);
  w.buffer.writeUInt16BE(keep, mask);
  w.buffer.writeUInt16BE(value, xor);
  networkWrite(w, offset, 2);
}
