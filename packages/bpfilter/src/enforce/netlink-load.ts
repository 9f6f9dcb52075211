/**
 * Loading what a rule looks at into nf_tables registers, as nft does: header fields (payload),
 * interface names (meta), conntrack state (ct). Shared by comparisons and set lookups
 * (netlink-rule.ts).
 */
import { expr, IFNAMSIZ, type Loaded, NotCompiled } from './netlink-data.js';
import type { NetlinkWriter } from './netlink-writer.js';

// include/uapi/linux/netfilter/nf_tables.h
/** The first 128-bit data register (the same bytes as {@link REG32_00}). */
export const REG_1 = 1;
/** The first 32-bit data register. */
export const REG32_00 = 8;

/** Where a header field is: payload base (1 network, 2 transport), offset, length. */
export interface Field {
  base: number;
  offset: number;
  len: number;
  /** The `ip protocol` a transport field needs matched before it (nft's dependency). */
  needs?: number;
  /** IPv4 address fields take dotted quads and prefixes. */
  address?: boolean;
}

const FIELDS: Record<string, Field> = {
  'ip saddr': { base: 1, offset: 12, len: 4, address: true },
  'ip daddr': { base: 1, offset: 16, len: 4, address: true },
  'ip protocol': { base: 1, offset: 9, len: 1 },
  'ip frag-off': { base: 1, offset: 6, len: 2 },
  'tcp sport': { base: 2, offset: 0, len: 2, needs: 6 },
  'tcp dport': { base: 2, offset: 2, len: 2, needs: 6 },
  'tcp flags': { base: 2, offset: 13, len: 1, needs: 6 },
  'udp sport': { base: 2, offset: 0, len: 2, needs: 17 },
  'udp dport': { base: 2, offset: 2, len: 2, needs: 17 },
  'icmp type': { base: 2, offset: 0, len: 1, needs: 1 },
  'icmp code': { base: 2, offset: 1, len: 1, needs: 1 },
  // The transport header of any protocol: no dependency (a set key holds the protocol).
  'th sport': { base: 2, offset: 0, len: 2 },
  'th dport': { base: 2, offset: 2, len: 2 },
};

const META_KEYS: Record<string, number> = { iifname: 6, oifname: 7 };

/** What the rule matched so far that later statements depend on. */
export interface RuleContext {
  protocol?: number;
}

/** Loads `left` (payload, meta or ct JSON) into `dreg`; what was loaded, to encode constants. */
export function writeLoad(
  w: NetlinkWriter,
  left: unknown,
  context: RuleContext,
  dreg = REG_1,
): Loaded {
  if (isObject(left) && 'meta' in left) {
    const key = (left.meta as { key?: unknown }).key;
    const number = typeof key === 'string' ? META_KEYS[key] : undefined;
    if (number === undefined) throw new NotCompiled(`meta ${String(key)}`);
    expr(w, 'meta', () => {
      w.u32(1, dreg);
      w.u32(2, number);
    });
    return { len: IFNAMSIZ, kind: 'ifname' };
  }
  if (isObject(left) && 'ct' in left) {
    const key = (left.ct as { key?: unknown }).key;
    if (key !== 'state') throw new NotCompiled(`ct ${String(key)}`);
    expr(w, 'ct', () => {
      w.u32(1, dreg);
      w.u32(2, 0 /* NFT_CT_STATE */);
    });
    return { len: 4, kind: 'host' };
  }
  const field = payloadField(left, context);
  writePayload(w, field, dreg);
  return { len: field.len, kind: field.address ? 'address' : 'number' };
}

export function payloadField(left: unknown, context: RuleContext): Field {
  if (!isObject(left) || !('payload' in left)) throw new NotCompiled('left side');
  const { protocol, field } = left.payload as { protocol?: unknown; field?: unknown };
  const found = FIELDS[`${String(protocol)} ${String(field)}`];
  if (found === undefined) throw new NotCompiled(`${String(protocol)} ${String(field)}`);
  // Without `ip protocol P` first, nft would add its own dependency: leave that to nft.
  if (found.needs !== undefined && context.protocol !== found.needs)
    throw new NotCompiled('transport field without its protocol');
  return found;
}

export function writePayload(w: NetlinkWriter, field: Field, dreg = REG_1): void {
  expr(w, 'payload', () => {
    w.u32(1, dreg);
    w.u32(2, field.base);
    w.u32(3, field.offset);
    w.u32(4, field.len);
  });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
