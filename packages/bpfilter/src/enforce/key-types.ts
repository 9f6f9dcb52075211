/**
 * The nft datatypes of the exact keys that maps and sets hold (rule-shape.ts's fields): the
 * name nft's JSON gives each, and the id and size the kernel gets (nftables' datatype.h).
 */
import type { KeyField, KeyShape } from './key-shapes.js';

export interface KeyType {
  name: string;
  id: number;
  len: number;
}
export const IPV4_ADDR: KeyType = { name: 'ipv4_addr', id: 7, len: 4 };
const INET_PROTO: KeyType = { name: 'inet_proto', id: 12, len: 1 };
const INET_SERVICE: KeyType = { name: 'inet_service', id: 13, len: 2 };
export const IFNAME: KeyType = { name: 'ifname', id: 41, len: 16 };

export const KEY_TYPE: Record<KeyField, KeyType> = {
  saddr: IPV4_ADDR,
  daddr: IPV4_ADDR,
  iifname: IFNAME,
  oifname: IFNAME,
  sport: INET_SERVICE,
  dport: INET_SERVICE,
};

/** A segment's key: `ip protocol` first when its shape has one, ports of any protocol. */
export function segmentKeyTypes(shape: KeyShape): KeyType[] {
  const types = shape.fields.map((f) => KEY_TYPE[f]);
  if (shape.protocol !== 0) types.unshift(INET_PROTO);
  return types;
}
