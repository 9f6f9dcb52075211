/**
 * Interval keys: rules whose matches are only address prefixes (contiguous masks), port
 * ranges and a protocol (`-s 10.1.2.0/24 -j DROP`, `-s NET -p tcp --dport 1000:2000`), with a
 * verdict or a jump (a map), or no target, LOG or MARK (a counted set). Each has a *box*, an inclusive range per field of its shape, and rules
 * of one such shape whose boxes do not overlap never match the same packet: a run of them
 * can be one lookup in an interval map (nft's `flags interval`: the kernel's rbtree for one
 * field, pipapo for a concatenation), as a run of exact keys is one lookup in a hash.
 *
 * A rule with an exact key (rule-facts.ts) keeps it: only rules without one get a box.
 */
import {
  IPT_ENTRY_SIZE,
  IPT_F_FRAG,
  IPT_INV_DSTIP,
  IPT_INV_SRCIP,
  IptEntryOffset,
  readIpv4Value,
  readU16,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_SRCPT,
} from '../abi/index.js';
import { objectName, targetAt } from '../model/entry-index.js';
import { IP_INVERSIONS } from '../model/ip-inversions.js';
import { DPORT_BIT, type KeyField, type KeyShape, SPORT_BIT, shapeFor } from './key-shapes.js';
import { groupTarget, type RuleFacts } from './rule-facts.js';

const TCP = 6;
const SADDR_BIT = 1;
const DADDR_BIT = 2;

/**
 * The id of the interval shape of entry `i`, or -1 when it has an exact key or is not one
 * of the rules above.
 */
export function intervalShape(f: RuleFacts, i: number): number {
  if (f.shape[i]! >= 0 || !groupTarget(f, i)) return -1;
  const b = f.bytes;
  const at = f.offsets[i]!;
  if (
    (b[at + IptEntryOffset.flags]! & IPT_F_FRAG) !== 0 ||
    (b[at + IptEntryOffset.invflags]! & IP_INVERSIONS) !== 0 ||
    f.maskDiffers[i] !== 0 ||
    f.inName[i] !== '' ||
    f.outName[i] !== ''
  )
    return -1;
  let bits = 0;
  for (const [bit, maskAt] of [
    [SADDR_BIT, IptEntryOffset.smsk],
    [DADDR_BIT, IptEntryOffset.dmsk],
  ] as const) {
    const mask = readIpv4Value(b, at + maskAt);
    if (mask === 0) continue;
    const host = ~mask >>> 0;
    if ((host & (host + 1)) !== 0) return -1; // not a prefix
    bits |= bit;
  }
  const protocol = readU16(b, at + IptEntryOffset.proto);
  const data = f.ports[i]!;
  const target = targetAt(b, at);
  // Only comments besides the one tcp/udp match the facts found (the last one).
  for (let pos = at + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos))
    if (pos + 32 !== data && objectName(b, pos) !== 'comment') return -1;
  if (data >= 0) {
    const kind = f.portProto[i]!;
    const inv = b[data + (kind === TCP ? 11 : 8)]!;
    if (protocol !== kind || (inv & (XT_TCP_INV_SRCPT | XT_TCP_INV_DSTPT)) !== 0) return -1;
    if (kind === TCP && (b[data + 8] !== 0 || b[data + 9] !== 0 || inv !== 0)) return -1;
    const ports = [portsAt(b, data), portsAt(b, data + 4)];
    // An empty range matches nothing; no port at all is xt_tcp's "first fragment only".
    if (ports.some((p) => p === EMPTY) || ports.every((p) => p === ALL)) return -1;
    if (ports[0] === SOME) bits |= SPORT_BIT;
    if (ports[1] === SOME) bits |= DPORT_BIT;
  }
  return bits === 0 ? -1 : shapeFor(protocol, bits, true);
}

const ALL = 0;
const SOME = 1;
const EMPTY = 2;

function portsAt(b: Uint8Array, at: number): number {
  const min = readU16(b, at);
  const max = readU16(b, at + 2);
  return min > max ? EMPTY : min === 0 && max === 65535 ? ALL : SOME;
}

/**
 * The /16 (its top 16 bits) of the prefix entry `s` requires of address `field`, when it
 * requires one of /16 or longer (not inverted, a contiguous mask).
 */
export function prefixBlock(f: RuleFacts, s: number, field: KeyField): number | undefined {
  if (field !== 'saddr' && field !== 'daddr') return undefined;
  const b = f.bytes;
  const at = f.offsets[s]!;
  const src = field === 'saddr';
  if (b[at + IptEntryOffset.invflags]! & (src ? IPT_INV_SRCIP : IPT_INV_DSTIP)) return undefined;
  const mask = readIpv4Value(b, at + (src ? IptEntryOffset.smsk : IptEntryOffset.dmsk));
  const host = ~mask >>> 0;
  if (mask >>> 16 !== 0xffff || (host & (host + 1)) !== 0) return undefined;
  return readIpv4Value(b, at + (src ? IptEntryOffset.src : IptEntryOffset.dst)) >>> 16;
}

/** The lowest value of `field` in the box of interval-keyed entry `k` (an address as u32). */
export function boxLow(f: RuleFacts, k: number, field: KeyField): number {
  const b = f.bytes;
  const at = f.offsets[k]!;
  if (field === 'saddr' || field === 'daddr') {
    const src = field === 'saddr';
    const address = readIpv4Value(b, at + (src ? IptEntryOffset.src : IptEntryOffset.dst));
    const mask = readIpv4Value(b, at + (src ? IptEntryOffset.smsk : IptEntryOffset.dmsk));
    return (address & mask) >>> 0;
  }
  return readU16(b, f.ports[k]! + (field === 'sport' ? 0 : 4));
}

/** The highest value of `field` in the box of interval-keyed entry `k`. */
export function boxHigh(f: RuleFacts, k: number, field: KeyField): number {
  const b = f.bytes;
  const at = f.offsets[k]!;
  if (field === 'saddr' || field === 'daddr') {
    const src = field === 'saddr';
    const mask = readIpv4Value(b, at + (src ? IptEntryOffset.smsk : IptEntryOffset.dmsk));
    return (boxLow(f, k, field) | ~mask) >>> 0;
  }
  return readU16(b, f.ports[k]! + (field === 'sport' ? 2 : 6));
}

/**
 * The boxes of a group's members, to tell whether a new one overlaps any. The members' ranges
 * of the first field are kept sorted, each distinct one with the members that have it; while
 * those ranges are disjoint (one field's always are; a blocklist of a prefix and a port per
 * rule too), the ones a new box overlaps are found by binary search and only their members
 * compared on the other fields. Once two nest, every member is compared.
 */
export class Boxes {
  readonly #f: RuleFacts;
  readonly #fields: readonly KeyField[];
  /** The distinct first-field ranges, by their low value, and the members of each. */
  readonly #low: number[] = [];
  readonly #high: number[] = [];
  readonly #members: number[][] = [];
  /** All members, in order; compared one by one once first-field ranges nest. */
  readonly #entries: number[] = [];
  #nested = false;

  constructor(f: RuleFacts, shape: KeyShape) {
    this.#f = f;
    this.#fields = shape.fields;
  }

  /** Whether the box of entry `k` overlaps a member's. */
  overlaps(k: number): boolean {
    const f = this.#f;
    const first = this.#fields[0]!;
    if (this.#nested) return this.#entries.some((m) => this.#meet(k, m, 0));
    const low = boxLow(f, k, first);
    for (let at = this.#before(boxHigh(f, k, first)); at >= 0 && this.#high[at]! >= low; at--)
      if (this.#members[at]!.some((m) => this.#meet(k, m, 1))) return true;
    return false;
  }

  /** Adds the box of entry `k` (which overlaps none). */
  add(k: number): void {
    const f = this.#f;
    const first = this.#fields[0]!;
    this.#entries.push(k);
    if (this.#nested) return;
    const low = boxLow(f, k, first);
    const high = boxHigh(f, k, first);
    const at = this.#before(low);
    if (at >= 0 && this.#low[at] === low && this.#high[at] === high) {
      this.#members[at]!.push(k);
    } else if ((at >= 0 && this.#high[at]! >= low) || this.#low[at + 1]! <= high) {
      this.#nested = true;
    } else {
      this.#low.splice(at + 1, 0, low);
      this.#high.splice(at + 1, 0, high);
      this.#members.splice(at + 1, 0, [k]);
    }
  }

  /** Whether the boxes of entries `a` and `b` meet in every field from the `from`th on. */
  #meet(a: number, b: number, from: number): boolean {
    const f = this.#f;
    for (let i = from; i < this.#fields.length; i++) {
      const field = this.#fields[i]!;
      if (boxLow(f, a, field) > boxHigh(f, b, field) || boxLow(f, b, field) > boxHigh(f, a, field))
        return false;
    }
    return true;
  }

  /** The index of the last range starting at or below `value`, or -1. */
  #before(value: number): number {
    let lo = 0;
    let hi = this.#low.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#low[mid]! <= value) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}
