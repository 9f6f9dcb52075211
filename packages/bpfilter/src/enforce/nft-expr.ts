/** Builders of the nftables JSON expressions (libnftables-json(5)) the translators emit. */

/** One nftables JSON expression or statement. */
export type NftExpr = Record<string, unknown>;

/** `payload` of a header field: `ip saddr`, `tcp dport`, `th dport`, `icmp type`... */
export function payload(protocol: string, field: string): NftExpr {
  return { payload: { protocol, field } };
}

/** `meta KEY`. */
export function meta(key: string): NftExpr {
  return { meta: { key } };
}

/** A match statement: `left OP right`. */
export function match(left: unknown, op: '==' | '!=', right: unknown): NftExpr {
  return { match: { op, left, right } };
}

/** `left & mask`. */
export function and(left: unknown, mask: unknown): NftExpr {
  return { '&': [left, mask] };
}

/** A value or an inclusive range of numbers. */
export function rangeOrValue(min: number, max: number): unknown {
  return min === max ? min : { range: [min, max] };
}

/** An anonymous set of values and ranges. */
export function set(elements: unknown[]): NftExpr {
  return { set: elements };
}
