/**
 * The shapes of exact keys (rule-facts.ts): which header fields a key is made of, for which
 * protocol. Rules of one shape can share a map. A shape is made once and named by its id.
 */

/** A header field an exact key is made of, in key order. */
export type KeyField = 'saddr' | 'daddr' | 'iifname' | 'oifname' | 'sport' | 'dport';

/** The shape of exact keys: rules of one shape can share a map. One object per shape. */
export interface KeyShape {
  id: number;
  /** The protocol the rules require (`-p`), 0 for any. */
  protocol: number;
  /** The fields of the key, in key order. */
  fields: readonly KeyField[];
  /**
   * Whether a key of this shape fits one number: at most 53 bits, an interface name taken as
   * its 16-bit id ({@link RuleFacts.inId}; a table with more names keys those as strings).
   */
  numeric: boolean;
  /**
   * Whether the keys are boxes (interval-keys.ts: address prefixes, port ranges) and the map
   * an interval map, rather than exact values.
   */
  interval?: true;
}

/** The fields in key order: field `f` is bit `1 << f` of a shape's field bits. */
const KEY_FIELDS: readonly KeyField[] = ['saddr', 'daddr', 'iifname', 'oifname', 'sport', 'dport'];
const FIELD_BITS = [32, 32, 16, 16, 16, 16];
/** The bits of the source and destination port fields. */
export const SPORT_BIT = 1 << 4;
export const DPORT_BIT = 1 << 5;
const shapes = new Map<number, KeyShape>();

/** The shape of id `id` (an entry's {@link RuleFacts.shape}). */
export function shapeOf(id: number): KeyShape {
  return shapes.get(id)!;
}

/** Added to an exact shape's id for the interval shape of the same fields. */
const INTERVAL_IDS = 1 << 16;

/**
 * The id of the shape of a key of `protocol` with the fields of `bits` (one object each), or
 * of boxes of those fields (`interval`).
 */
export function shapeFor(protocol: number, bits: number, interval = false): number {
  const id = protocol * 64 + bits + (interval ? INTERVAL_IDS : 0);
  if (!shapes.has(id)) {
    const fields = KEY_FIELDS.filter((_, f) => bits & (1 << f));
    let width = 0;
    for (let f = 0; f < 6; f++) if (bits & (1 << f)) width += FIELD_BITS[f]!;
    const numeric = width <= 53;
    shapes.set(id, { id, protocol, fields, numeric, ...(interval ? { interval: true } : {}) });
  }
  return id;
}
