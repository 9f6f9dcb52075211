/**
 * A table's rules as the enforcement compile reads them: the entry blob, and per entry, in
 * typed arrays, what grouping and the writers need besides the bytes (its target, the shape
 * of its exact key and the key's ports, where its ports are, its interface names). Read from
 * each entry in place (its `ipt_ip`, matches and target): no rule object, no key or span
 * object per rule. rule-shape.ts says which rules have an exact key and which are disjoint;
 * key-shapes.ts names the shapes of the keys.
 *
 * A rule has an *exact key* when all it matches are exact header values (one address, one
 * port, one interface name, a protocol) and its target is a verdict (or a jump), or a
 * statement a counted set can hold (no target, LOG, MARK: {@link setTarget}).
 */
import {
  IFNAMSIZ,
  IPT_ENTRY_SIZE,
  IPT_F_FRAG,
  IPT_F_GOTO,
  IptEntryOffset,
  readCString,
  readI32,
  readU16,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  VERDICT_QUEUE,
  VERDICT_RETURN,
  XT_STANDARD_TARGET,
  XT_TCP_INV_SRCPT,
  XT_TCP_INV_DSTPT,
  readIpv4Value,
  XT_OBJECT_HEADER_SIZE,
} from '../abi/index.js';
import { type EntryIndex, objectName, objectRevision, targetAt } from '../model/entry-index.js';
import { IP_INVERSIONS } from '../model/ip-inversions.js';
import { DPORT_BIT, SPORT_BIT, shapeFor } from './key-shapes.js';
import { rejectsWithIcmp } from './reject-chains.js';

/** A rule's target, as far as the compile tells them apart. */
export const Target = {
  /** No `-j`: a counting rule (libiptc's jump to the next entry). */
  none: 0,
  accept: 1,
  drop: 2,
  return: 3,
  queue: 4,
  jump: 5,
  goto: 6,
  /** Anything else (LOG, another extension, a REJECT that is not {@link reject}). */
  other: 7,
  /** REJECT with an ICMP type (reject-chains.ts: a map element goes to a chain that rejects). */
  reject: 8,
} as const;

/** Whether target `t` may stand in a verdict map: it ends or leaves the walk, never QUEUE. */
export function mapTarget(t: number): boolean {
  return t === Target.reject || (t !== Target.none && t < Target.other && t !== Target.queue);
}

/** Statement targets that leave the walk going and change no key field (a log line, a mark). */
const SET_TARGETS = new Set(['LOG', 'MARK']);

/**
 * Whether entry `i` can be a counted set's member (group-rules.ts): no target, or one of
 * {@link SET_TARGETS}, whose statements the set's rule writes once for all its members.
 */
export function setTarget(f: Pick<RuleFacts, 'bytes' | 'offsets' | 'target'>, i: number): boolean {
  const t = f.target[i];
  return (
    t === Target.none ||
    (t === Target.other && SET_TARGETS.has(objectName(f.bytes, targetAt(f.bytes, f.offsets[i]!))))
  );
}

/** Whether entry `i` can be a map element or a counted set's member. */
export function groupTarget(
  f: Pick<RuleFacts, 'bytes' | 'offsets' | 'target'>,
  i: number,
): boolean {
  return mapTarget(f.target[i]!) || setTarget(f, i);
}

/** A table's rules as the compile reads them: the entry blob, and per entry what grouping needs. */
export interface RuleFacts {
  bytes: Uint8Array;
  /** The byte offset of each entry. */
  offsets: readonly number[];
  /** The user chain each jump offset starts. */
  chainAtOffset: ReadonlyMap<number, string>;
  /** Per entry: its target ({@link Target}). */
  target: Uint8Array;
  /** Per entry: the id of its exact key's shape, or -1 (no exact key). */
  shape: Int32Array;
  /** Per entry: the exact key's source and destination ports. */
  keySport: Int32Array;
  keyDport: Int32Array;
  /** Per entry: the data offset of its last tcp/udp match (the ports a span has), or -1. */
  ports: Int32Array;
  /** Per entry: that match's protocol (6 or 17). */
  portProto: Uint8Array;
  /** Per entry: its in and out interface names ('' for none). */
  inName: string[];
  outName: string[];
  /**
   * Per entry with an exact key: a number per distinct in and out interface name of the table
   * (0 for none), so that a key with a name is a number too (rule-shape.ts's keyId).
   */
  inId: Int32Array;
  outId: Int32Array;
  /** Per entry: IN_MASK, OUT_MASK when that interface's mask is not the one its name implies. */
  maskDiffers: Uint8Array;
}

export const IN_MASK = 1;
export const OUT_MASK = 2;

const TCP = 6;
const UDP = 17;
/** The data size of a tcp or udp match the model decodes: xtAlign(12) and xtAlign(10). */
const PORT_MATCH_SIZE = 16;

/**
 * Reads the rules of `index` (the entries `ranges` hold: each chain's rule entries) into
 * {@link RuleFacts}. Throws a RangeError for a jump no user chain starts at.
 */
export function readFacts(
  bytes: Uint8Array,
  index: EntryIndex,
  ranges: readonly [from: number, to: number][],
): RuleFacts {
  const n = index.offsets.length;
  const f: RuleFacts = {
    bytes,
    offsets: index.offsets,
    chainAtOffset: index.chainAtOffset,
    target: new Uint8Array(n),
    shape: new Int32Array(n).fill(-1),
    keySport: new Int32Array(n),
    keyDport: new Int32Array(n),
    ports: new Int32Array(n).fill(-1),
    portProto: new Uint8Array(n),
    inName: new Array<string>(n).fill(''),
    outName: new Array<string>(n).fill(''),
    inId: new Int32Array(n),
    outId: new Int32Array(n),
    maskDiffers: new Uint8Array(n),
  };
  const names = new Map<string, number>([['', 0]]);
  for (const [from, to] of ranges) for (let i = from; i < to; i++) readRule(f, i, names);
  return f;
}

/** The number of interface name `name` in `names` (numbered as first met). */
function nameId(names: Map<string, number>, name: string): number {
  let id = names.get(name);
  if (id === undefined) {
    id = names.size;
    names.set(name, id);
  }
  return id;
}

function readRule(f: RuleFacts, i: number, names: Map<string, number>): void {
  const b = f.bytes;
  const at = f.offsets[i]!;
  f.target[i] = targetOf(f, i);
  f.inName[i] = readCString(b, at + IptEntryOffset.iniface, IFNAMSIZ);
  f.outName[i] = readCString(b, at + IptEntryOffset.outiface, IFNAMSIZ);
  f.maskDiffers[i] =
    (maskDiffers(b, at + IptEntryOffset.inifaceMask, f.inName[i]!) ? IN_MASK : 0) |
    (maskDiffers(b, at + IptEntryOffset.outifaceMask, f.outName[i]!) ? OUT_MASK : 0);
  // The ports of the last tcp/udp match (a span's), and the key's fields on the way.
  const protocol = readU16(b, at + IptEntryOffset.proto);
  const inv = b[at + IptEntryOffset.invflags]!;
  let keyed =
    groupTarget(f, i) &&
    (b[at + IptEntryOffset.flags]! & IPT_F_FRAG) === 0 &&
    (inv & IP_INVERSIONS) === 0 &&
    f.maskDiffers[i] === 0;
  let bits = 0;
  if (keyed) {
    for (let side = 0; side < 2 && keyed; side++) {
      const mask = readIpv4Value(b, at + (side === 0 ? IptEntryOffset.smsk : IptEntryOffset.dmsk));
      if (mask === 0) continue;
      if (mask !== 0xffffffff) keyed = false;
      else bits |= 1 << side;
    }
    for (let side = 0; side < 2 && keyed; side++) {
      const name = side === 0 ? f.inName[i]! : f.outName[i]!;
      if (name === '') continue;
      if (name.endsWith('+') || /[*\\]/.test(name)) keyed = false;
      else bits |= 1 << (side + 2);
    }
  }
  const target = targetAt(b, at);
  for (let pos = at + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos)) {
    const kind = portMatch(b, pos);
    if (kind === 0) {
      if (keyed && objectName(b, pos) !== 'comment') keyed = false;
      continue;
    }
    const data = pos + 32;
    f.ports[i] = data;
    f.portProto[i] = kind;
    if (!keyed) continue;
    const mInv = b[data + (kind === TCP ? 11 : 8)]!;
    const invBits = kind === TCP ? 0x0f : XT_TCP_INV_SRCPT | XT_TCP_INV_DSTPT;
    if (mInv & invBits || protocol !== kind || bits & DPORT_BIT) {
      keyed = false;
      continue;
    }
    if (kind === TCP && (b[data + 9] !== 0 || b[data + 8] !== 0)) {
      keyed = false; // --tcp-flags or --tcp-option
      continue;
    }
    const sport = singlePort(b, data);
    const dport = singlePort(b, data + 4);
    // A port match without a port is xt_tcp's "first fragment only": not a key; a second
    // match with a source port would repeat the field.
    if (
      sport === -2 ||
      dport === -2 ||
      (sport === -1 && dport === -1) ||
      (sport >= 0 && bits & SPORT_BIT)
    ) {
      keyed = false;
      continue;
    }
    if (sport >= 0) {
      bits |= SPORT_BIT;
      f.keySport[i] = sport;
    }
    if (dport >= 0) {
      bits |= DPORT_BIT;
      f.keyDport[i] = dport;
    }
  }
  if (!keyed || bits === 0) return;
  f.shape[i] = shapeFor(protocol, bits);
  f.inId[i] = nameId(names, f.inName[i]!);
  f.outId[i] = nameId(names, f.outName[i]!);
}

/** 6 for a tcp match the model decodes as one, 17 for udp, else 0. */
function portMatch(b: Uint8Array, pos: number): number {
  const size = readU16(b, pos);
  const end = Math.min(pos + Math.max(size, 32), b.length);
  if (objectRevision(b, pos) !== 0 || end - (pos + XT_OBJECT_HEADER_SIZE) !== PORT_MATCH_SIZE)
    return 0;
  const name = objectName(b, pos);
  return name === 'tcp' ? TCP : name === 'udp' ? UDP : 0;
}

/** -1 for all ports, the port for one, -2 for a range. */
function singlePort(b: Uint8Array, at: number): number {
  const min = readU16(b, at);
  const max = readU16(b, at + 2);
  if (min === 0 && max === 65535) return -1;
  return min === max ? min : -2;
}

function targetOf(f: RuleFacts, i: number): number {
  const b = f.bytes;
  const at = f.offsets[i]!;
  const target = targetAt(b, at);
  const size = readU16(b, target);
  if (objectName(b, target) !== XT_STANDARD_TARGET || Math.max(size, 32) - 32 < 4)
    return rejectsWithIcmp(b, target) ? Target.reject : Target.other;
  const verdict = readI32(b, target + 32);
  const flags = b[at + IptEntryOffset.flags]!;
  if (verdict === at + readU16(b, at + IptEntryOffset.nextOffset)) {
    if (flags & IPT_F_GOTO)
      throw new RangeError(`entry ${i}: a goto to the next entry (libiptc never builds one)`);
    return Target.none;
  }
  if (verdict >= 0) {
    if (!f.chainAtOffset.has(verdict))
      throw new RangeError(`entry ${i}: jump to offset ${verdict}, not the start of a user chain`);
    return flags & IPT_F_GOTO ? Target.goto : Target.jump;
  }
  if (verdict === VERDICT_ACCEPT) return Target.accept;
  if (verdict === VERDICT_DROP) return Target.drop;
  if (verdict === VERDICT_RETURN) return Target.return;
  if (verdict === VERDICT_QUEUE) return Target.queue;
  return Target.other;
}

/** The user chain the jump or goto of entry `i` goes to. */
export function jumpChain(f: RuleFacts, i: number): string {
  const target = targetAt(f.bytes, f.offsets[i]!);
  return f.chainAtOffset.get(readI32(f.bytes, target + 32))!;
}

/** Whether the interface mask at `maskAt` differs from the one iptables derives from `name`. */
function maskDiffers(b: Uint8Array, maskAt: number, name: string): boolean {
  // 0xff over the name and its NUL, or over the stem of `name+`.
  const covered =
    name === '' ? 0 : name.endsWith('+') ? name.length - 1 : Math.min(name.length + 1, IFNAMSIZ);
  let k = 0;
  for (; k < covered; k++) if (b[maskAt + k] !== 0xff) return true;
  // The rest zero: one test of them all (most rules name no interface: all 16 bytes).
  let rest = 0;
  for (; k < IFNAMSIZ; k++) rest |= b[maskAt + k]!;
  return rest !== 0;
}
