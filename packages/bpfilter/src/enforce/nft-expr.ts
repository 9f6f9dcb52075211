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

/**
 * The statement of a verdict other than QUEUE. Written out as literals: a computed key
 * (`{ [name]: null }`) for every rule of a large table made slow objects.
 */
export function verdictStatement(verdict: 'ACCEPT' | 'DROP' | 'RETURN'): NftExpr {
  switch (verdict) {
    case 'ACCEPT':
      return { accept: null };
    case 'DROP':
      return { drop: null };
    case 'RETURN':
      return { return: null };
  }
}

/** `jump CHAIN` or `goto CHAIN`. */
export function jumpStatement(kind: 'jump' | 'goto', chain: string): NftExpr {
  return kind === 'jump' ? { jump: { target: chain } } : { goto: { target: chain } };
}
