/**
 * Which rules can share one verdict-map lookup, and when a rule may be moved past another,
 * judged on the facts read from their entries (rule-facts.ts).
 *
 * Rules of the same shape (protocol and fields) with different exact keys never match the
 * same packet, so a run of them is one `vmap` lookup of the key, each element with its own
 * counter. A rule may move past another only when the two are *disjoint* (no packet matches
 * both): then no packet sees a different sequence of matching rules.
 */
import {
  IPT_INV_DSTIP,
  IPT_INV_PROTO,
  IPT_INV_SRCIP,
  IPT_INV_VIA_IN,
  IPT_INV_VIA_OUT,
  IptEntryOffset,
  readU16,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_SRCPT,
  readIpv4Value,
} from '../abi/index.js';
import { boxHigh, boxLow } from './interval-keys.js';
import { type KeyField, type KeyShape, shapeOf } from './key-shapes.js';
import { IN_MASK, OUT_MASK, type RuleFacts, Target } from './rule-facts.js';

const TCP = 6;

/** The value of `field` in the exact key of entry `i`: addresses as u32, ports, names. */
export function keyValue(f: RuleFacts, i: number, field: KeyField): number | string {
  const at = f.offsets[i]!;
  switch (field) {
    case 'saddr':
      return readIpv4Value(f.bytes, at + IptEntryOffset.src);
    case 'daddr':
      return readIpv4Value(f.bytes, at + IptEntryOffset.dst);
    case 'iifname':
      return f.inName[i]!;
    case 'oifname':
      return f.outName[i]!;
    case 'sport':
      return f.keySport[i]!;
    case 'dport':
      return f.keyDport[i]!;
  }
}

/**
 * How many values `field` takes in a key number: compared, not looked up in a record by the
 * field's name (a keyed load for each field of each rule's key).
 */
function fieldRange(field: KeyField): number {
  return field === 'saddr' || field === 'daddr' ? 2 ** 32 : 2 ** 16;
}

/** The value of `field` in entry `i`'s exact key as a number (an interface name's id). */
function keyNumber(f: RuleFacts, i: number, field: KeyField): number {
  if (field === 'iifname') return f.inId[i]!;
  if (field === 'oifname') return f.outId[i]!;
  return keyValue(f, i, field) as number;
}

/**
 * Equal ids: equal keys (entries of one shape). A number where the key fits one: each field
 * below its range, so that no two keys make one number.
 */
export function keyId(f: RuleFacts, i: number): number | string {
  const shape = shapeOf(f.shape[i]!);
  if (shape.numeric) {
    let id = 0;
    const { fields } = shape;
    for (let k = 0; k < fields.length; k++) {
      const field = fields[k]!;
      const value = keyNumber(f, i, field);
      const range = fieldRange(field);
      // Only a name's id can reach its range (a table of more than 65,535 names).
      if (value >= range) return keyString(f, i, shape);
      id = id * range + value;
    }
    return id;
  }
  return keyString(f, i, shape);
}

/** A key too wide for a number: each field's number as UTF-16 code units, two or one a field. */
function keyString(f: RuleFacts, i: number, shape: KeyShape): string {
  let id = '';
  for (const field of shape.fields) {
    const value = keyNumber(f, i, field);
    id +=
      field === 'sport' || field === 'dport'
        ? String.fromCharCode(value)
        : String.fromCharCode(value >>> 16, value & 0xffff);
  }
  return id;
}

/** Whether entry `i`'s target ends a packet's walk (ACCEPT, DROP). */
export function endsWalk(f: RuleFacts, i: number): boolean {
  const t = f.target[i];
  return t === Target.accept || t === Target.drop;
}

/** Whether no rule of `shape` can match a packet entry `s` matches (protocols differ). */
export function shapeExcludes(shape: KeyShape, f: RuleFacts, s: number): boolean {
  const at = f.offsets[s]!;
  const p = readU16(f.bytes, at + IptEntryOffset.proto);
  const inverted = (f.bytes[at + IptEntryOffset.invflags]! & IPT_INV_PROTO) !== 0;
  return shape.protocol !== 0 && p !== 0 && (p === shape.protocol) === inverted;
}

/**
 * Whether no packet can match both the rule of key `k` (exact, or a box of interval shape
 * `shape`: interval-keys.ts) and rule `s` (false: maybe).
 */
export function disjoint(
  f: RuleFacts,
  k: number,
  s: number,
  shape: KeyShape = shapeOf(f.shape[k]!),
): boolean {
  if (shapeExcludes(shape, f, s)) return true;
  const b = f.bytes;
  const at = f.offsets[s]!;
  const inv = b[at + IptEntryOffset.invflags]!;
  const box = shape.interval === true;
  for (const field of shape.fields) {
    switch (field) {
      case 'saddr':
      case 'daddr': {
        const src = field === 'saddr';
        const address = readIpv4Value(b, at + (src ? IptEntryOffset.src : IptEntryOffset.dst));
        const mask = readIpv4Value(b, at + (src ? IptEntryOffset.smsk : IptEntryOffset.dmsk));
        const inverted = (inv & (src ? IPT_INV_SRCIP : IPT_INV_DSTIP)) !== 0;
        if (mask === 0 && address === 0 && !inverted) break;
        const low = box ? boxLow(f, k, field) : (keyValue(f, k, field) as number);
        // The key's prefix: all of its bits for an exact key.
        const prefix = box ? ~(low ^ boxHigh(f, k, field)) : -1;
        const differ = (low ^ address) & mask;
        // s matches none of the box when they differ on a bit both fix; all of it when s's
        // bits are all the prefix's and agree (then an inverted s matches none).
        if (inverted ? (mask & ~prefix) === 0 && differ === 0 : (differ & prefix) !== 0)
          return true;
        break;
      }
      case 'iifname':
      case 'oifname': {
        const input = field === 'iifname';
        const name = input ? f.inName[s]! : f.outName[s]!;
        const inverted = (inv & (input ? IPT_INV_VIA_IN : IPT_INV_VIA_OUT)) !== 0;
        if (f.maskDiffers[s]! & (input ? IN_MASK : OUT_MASK) || (name === '' && !inverted)) break;
        if (ifaceMatches(name, keyValue(f, k, field) as string) === inverted) return true;
        break;
      }
      case 'sport':
      case 'dport': {
        const data = f.ports[s]!;
        if (data < 0 || f.portProto[s] !== shape.protocol) break;
        const range = portRange(f, s, field);
        if (range === undefined) break;
        const low = box ? boxLow(f, k, field) : (keyValue(f, k, field) as number);
        const high = box ? boxHigh(f, k, field) : low;
        const inside = low >= range.min && high <= range.max;
        const outside = high < range.min || low > range.max;
        if (range.invert ? inside : outside) return true;
        break;
      }
    }
  }
  return false;
}

/** The port range entry `s`'s last tcp/udp match sets for `field`, if it limits it. */
function portRange(
  f: RuleFacts,
  s: number,
  field: 'sport' | 'dport',
): { min: number; max: number; invert: boolean } | undefined {
  const data = f.ports[s]!;
  const b = f.bytes;
  const at = data + (field === 'sport' ? 0 : 4);
  const min = readU16(b, at);
  const max = readU16(b, at + 2);
  const inv = b[data + (f.portProto[s] === TCP ? 11 : 8)]!;
  const invert = (inv & (field === 'sport' ? XT_TCP_INV_SRCPT : XT_TCP_INV_DSTPT)) !== 0;
  if (min === 0 && max === 65535 && !invert) return undefined;
  return { min, max, invert };
}

/** The one value entry `s` requires in `field` (for rules of `protocol`), if it requires one. */
export function exactValue(
  f: RuleFacts,
  s: number,
  field: KeyField,
  protocol: number,
): number | string | undefined {
  const b = f.bytes;
  const at = f.offsets[s]!;
  const inv = b[at + IptEntryOffset.invflags]!;
  switch (field) {
    case 'saddr':
    case 'daddr': {
      const src = field === 'saddr';
      if (inv & (src ? IPT_INV_SRCIP : IPT_INV_DSTIP)) return undefined;
      const mask = readIpv4Value(b, at + (src ? IptEntryOffset.smsk : IptEntryOffset.dmsk));
      return mask === 0xffffffff
        ? readIpv4Value(b, at + (src ? IptEntryOffset.src : IptEntryOffset.dst))
        : undefined;
    }
    case 'iifname':
    case 'oifname': {
      const input = field === 'iifname';
      const name = input ? f.inName[s]! : f.outName[s]!;
      if (inv & (input ? IPT_INV_VIA_IN : IPT_INV_VIA_OUT)) return undefined;
      if (f.maskDiffers[s]! & (input ? IN_MASK : OUT_MASK) || name === '') return undefined;
      return name.endsWith('+') ? undefined : name;
    }
    case 'sport':
    case 'dport': {
      if (f.ports[s]! < 0 || f.portProto[s] !== protocol) return undefined;
      const range = portRange(f, s, field);
      return range && !range.invert && range.min === range.max ? range.min : undefined;
    }
  }
}

/** iptables' interface match: exact, or a prefix when the pattern ends in `+`. */
function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}
