/**
 * The IP part of a chain's rules (`ip_packet_match`: addresses, protocol, fragment,
 * interfaces) compiled into JavaScript source once per table, so that a walk over rules the
 * lookup cannot skip tests each rule in straight-line code V8 optimizes, instead of loading
 * each rule's fields from an object and calling its interface closures.
 *
 * Why `new Function` is safe here: this runs in the handler (the isolated side), and the
 * generated source holds only numbers computed from the validated table (address masks and
 * values, protocol numbers, interface names as little-endian u32 words and masks, indices),
 * each written through `int()`, which refuses anything but a 32-bit integer. No string from
 * a table or a packet (an interface name, a chain name, a comment) ever reaches the source.
 */
import type { CompiledRule } from './compile.js';
import type { Packet } from './packet.js';

/** A rule's interface test as the kernel's `ifname_compare`: 4 masked words, 4 masks. */
export interface InterfaceWords {
  /** Name words (little-endian u32 of the 16-byte name) already masked, then the masks. */
  readonly words: readonly number[];
  readonly inverted: boolean;
}

/**
 * The first rule at or after `from` whose IP part the packet matches, or the chain's rule
 * count. `words` holds the packet's in and out interface names as 8 words
 * ({@link packetInterfaceWords}).
 */
export type Scan = (packet: Packet, words: Int32Array, from: number) => number;

/** Rules per generated function: small enough for V8 to optimize each one. */

/** The words of a 16-byte interface name or mask (`byte` gives byte k). */
function wordsOf(byte: (k: number) => number): number[] {
  const out: number[] = [];
  for (let w = 0; w < 4; w++) {
    let value = 0;
    for (let b = 0; b < 4; b++) value |= (byte(4 * w + b) & 0xff) << (8 * b);
    out.push(value | 0);
  }
  return out;
}

/** A rule's interface name and mask as words, for the generated test. */
export function interfaceWords(name: string, mask: Uint8Array, inverted: boolean): InterfaceWords {
  const masks = wordsOf((k) => mask[k] ?? 0);
  const names = wordsOf((k) => (k < name.length ? name.charCodeAt(k) : 0));
  return { words: [...names.map((n, w) => n & masks[w]!), ...masks], inverted };
}

/**
 * Writes the packet's in and out interface names as words into `out`; false when a name has
 * a character above 0xff (the words would not tell it apart: the caller walks without scan).
 */
export function packetInterfaceWords(packet: Packet, out: Int32Array): boolean {
  return nameWords(packet.inInterface, out, 0) && nameWords(packet.outInterface, out, 4);
}

/** `name` as 4 words into `out` at `at` (no allocation: once per packet); false above 0xff. */
function nameWords(name: string, out: Int32Array, at: number): boolean {
  for (let w = 0; w < 4; w++) {
    let value = 0;
    for (let b = 0; b < 4; b++) {
      const k = 4 * w + b;
      const code = k < name.length ? name.charCodeAt(k) : 0;
      if (code > 0xff) return false;
      value |= code << (8 * b);
    }
    out[at + w] = value;
  }
  return true;
}

/** A 32-bit integer as source text; anything else is a bug, never text in the source. */
function int(value: number): string {
  if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32)
    throw new RangeError(`ip-scan: ${value} is not a 32-bit integer`);
  return String(value | 0);
}

/** `value === expected`, or `!==` when inverted. */
const test = (value: string, expected: string, inverted: boolean) =>
  `${value} ${inverted ? '!==' : '==='} ${expected}`;

/**
 * The terms whose conjunction is rule `r`'s IP part, over the scan's local variables
 * (`false` among them: the rule matches nothing).
 */
function termsOf(r: CompiledRule): string[] {
  const terms: string[] = [];
  const address = (v: string, mask: number, addr: number, inverted: boolean) => {
    if (mask !== 0) terms.push(test(`(${v} & ${int(mask)})`, int(addr), inverted));
    else if (inverted) terms.push('false'); // ! 0.0.0.0/0 matches nothing
  };
  address('s', r.srcMask, r.srcAddr, r.srcInv);
  address('d', r.dstMask, r.dstAddr, r.dstInv);
  if (r.proto !== 0) terms.push(test('pr', int(r.proto), r.protoInv));
  // -f: only non-first fragments; ! -f: only first fragments and whole packets.
  if (r.frag !== 0) terms.push(test('fr', r.frag === 1 ? '1' : '0', false));
  for (const [side, iface] of [
    ['i', r.inWords],
    ['o', r.outWords],
  ] as const) {
    if (iface === null) continue;
    const parts: string[] = [];
    for (let w = 0; w < 4; w++) {
      const mask = iface.words[4 + w]!;
      if (mask !== 0) parts.push(`(${side}${w} & ${int(mask)}) === ${int(iface.words[w]!)}`);
    }
    if (!iface.inverted) terms.push(...parts);
    else terms.push(parts.length === 0 ? 'false' : `!(${parts.join(' && ')})`);
  }
  return terms;
}

const PARAMS = 's, d, pr, fr, i0, i1, i2, i3, o0, o1, o2, o3, from';

/** Terms per generated function: small enough for V8 to optimize each one. */
const MAX_TERMS = 1500;
/** Rules per generated function, at most. */
const MAX_RULES = 1024;

/**
 * One generated function over `rules[base..base + count)`: the terms that recur among them
 * are computed once (in a run of `-i docker0` rules, one test for all), then a switch on
 * `from` falls through the rules in order and returns the first that matches, or -1.
 */
function chunkSource(terms: readonly string[][], base: number, count: number): string {
  const seen = new Map<string, number>();
  for (let k = base; k < base + count; k++)
    for (const term of new Set(terms[k])) seen.set(term, (seen.get(term) ?? 0) + 1);
  const hoisted = new Map<string, string>();
  const lines: string[] = [];
  for (const [term, uses] of seen) {
    if (uses < 2 || term === 'false') continue;
    const name = `t${hoisted.size}`;
    hoisted.set(term, name);
    lines.push(`const ${name} = ${term};`);
  }
  const cases: string[] = [];
  for (let k = base; k < base + count; k++) {
    const own = terms[k]!;
    const label = `case ${int(k - base)}:`;
    if (own.includes('false')) {
      cases.push(label);
      continue;
    }
    // Computed terms first: most rules fail on one of them without evaluating the rest.
    const shared = own.filter((t) => hoisted.has(t)).map((t) => hoisted.get(t)!);
    const rest = own.filter((t) => !hoisted.has(t));
    const all = [...shared, ...rest];
    cases.push(
      all.length === 0
        ? `${label} return ${int(k)};`
        : `${label} if (${all.join(' && ')}) return ${int(k)};`,
    );
  }
  return `"use strict"; return function (${PARAMS}) { ${lines.join('\n')} switch (from - ${int(base)}) { ${cases.join('\n')} } return -1; };`;
}

/** The scan of a chain's rules, or null for a chain without rules. */
export function buildScan(rules: readonly CompiledRule[]): Scan | null {
  if (rules.length === 0) return null;
  const terms = rules.map(termsOf);
  const chunks: ((...args: number[]) => number)[] = [];
  /** First rule of each chunk, and the rule count (a sentinel). */
  const starts: number[] = [];
  for (let base = 0; base < rules.length; ) {
    let count = 0;
    let size = 0;
    while (base + count < rules.length && count < MAX_RULES) {
      size += terms[base + count]!.length;
      if (size > MAX_TERMS && count > 0) break;
      count++;
    }
    starts.push(base);
    chunks.push(new Function(chunkSource(terms, base, count))());
    base += count;
  }
  starts.push(rules.length);
  const total = rules.length;
  return (packet, w, from) => {
    const s = packet.source;
    const d = packet.destination;
    const pr = packet.protocol;
    const fr = packet.fragment ? 1 : 0;
    for (let c = 0; c < chunks.length; c++) {
      if (starts[c + 1]! <= from) continue;
      const start = Math.max(from, starts[c]!);
      const hit = chunks[c]!(
        s,
        d,
        pr,
        fr,
        w[0]!,
        w[1]!,
        w[2]!,
        w[3]!,
        w[4]!,
        w[5]!,
        w[6]!,
        w[7]!,
        start,
      );
      if (hit >= 0) return hit;
    }
    return total;
  };
}
