/**
 * The oracle's canonical form of nft's JSON listing: two encodings of one meaning compare
 * equal (counters out, port sets as merged ranges, a mark rewrite as the function it computes).
 */

/** One nft expression of a listing (`nft -j list`). */
export type Expr = Record<string, unknown>;

const ALL = 0xffffffff;

/** The value of a mark rewrite's expression for the packet's mark `x`. */
function evaluate(e: unknown, x: number): number {
  if (typeof e === 'number') return e >>> 0;
  const [op, args] = Object.entries(e as Expr)[0]!;
  if (op === 'meta') return x;
  const [a, b] = (args as unknown[]).map((arg) => evaluate(arg, x)) as [number, number];
  if (op === '&') return (a & b) >>> 0;
  if (op === '|') return (a | b) >>> 0;
  if (op === '^') return (a ^ b) >>> 0;
  throw new Error(`no value for ${JSON.stringify(e)}`);
}

/** A set, range or value of numbers as sorted, merged ranges; strings sorted. */
function canonicalRight(right: unknown): unknown {
  const items = (right as Expr)?.set ?? [right];
  if (!Array.isArray(items)) return right;
  if (items.every((i) => typeof i === 'string')) return [...items].sort();
  const ranges = items.map((i) =>
    typeof i === 'number' ? [i, i] : ((i as Expr).range as [number, number] | undefined),
  );
  // Anything else (a mark's prefix form) as nft lists it.
  if (ranges.some((r) => r === undefined)) return right;
  const out: [number, number][] = [];
  for (const [from, to] of (ranges as [number, number][]).sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return { ranges: out };
}

/**
 * Address types, sorted. One nft has no name for (RTN_THROW and above) it lists from a set
 * without nft's own metadata (the key's byte order) byte-swapped: 9 as 0x09000000; the
 * elements' bytes are the same (`nft --debug=netlink list` shows 00000009 for both).
 */
function addressTypes(right: unknown): string[] {
  const items = ((right as Expr)?.set ?? [right]) as (string | number)[];
  return items.map((i) => (typeof i === 'number' && i > 0xffffff ? `${i >>> 24}` : `${i}`)).sort();
}

/**
 * One statement in canonical form: `meta mark & 0xffffffff` is `meta mark`; a right side as
 * ranges; a mark rewrite as (its value for mark 0, for mark ~0), which fixes each bit's
 * function; `null` for what changes nothing (counters, the mark written back unchanged).
 */
function canonical(e: Expr): unknown {
  if ('counter' in e) return null;
  const match = e.match as { op: string; left: Expr; right: unknown } | undefined;
  if (match) {
    let left: unknown = match.left;
    const and = match.left['&'] as [unknown, unknown] | undefined;
    if (and && and[1] === ALL) left = and[0];
    const op = match.op === 'in' ? '==' : match.op;
    const right = 'fib' in match.left ? addressTypes(match.right) : canonicalRight(match.right);
    return { match: { op, left, right } };
  }
  const mangle = e.mangle as { key: Expr; value: unknown } | undefined;
  if (mangle && JSON.stringify(mangle.key) === '{"meta":{"key":"mark"}}') {
    const [zero, ones] = [evaluate(mangle.value, 0), evaluate(mangle.value, ALL)];
    return zero === 0 && ones === ALL ? null : { markSet: [zero, ones] };
  }
  return e;
}

/**
 * A chain's rules in canonical form, each rule's matches (which commute) sorted; rules left
 * with nothing (a chain's counter) dropped.
 */
export function canonicalRules(rules: Expr[][]): unknown[][] {
  return rules
    .map((rule) => {
      const out = rule.map(canonical).filter((e) => e !== null);
      const first = out.findIndex((e) => !('match' in (e as Expr)));
      const matches = out.slice(0, first === -1 ? out.length : first);
      matches.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      return [...matches, ...out.slice(matches.length)];
    })
    .filter((rule) => rule.length > 0);
}
