/** The kernel's entry blob (GET_ENTRIES or SET_REPLACE) -> table model. */
import {
  HOOK_NAMES,
  IFNAMSIZ,
  IPT_ENTRY_SIZE,
  IPT_F_FRAG,
  IPT_INV_DSTIP,
  IPT_INV_FRAG,
  IPT_INV_PROTO,
  IPT_INV_SRCIP,
  IPT_INV_VIA_IN,
  IPT_INV_VIA_OUT,
  IptEntryOffset,
  NF_INET_NUMHOOKS,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  XT_ERROR_TARGET,
  XT_EXTENSION_MAXNAMELEN,
  XT_OBJECT_HEADER_SIZE,
  XT_STANDARD_TARGET,
  readCString,
  readErrorName,
  readU16,
  readU64,
  type TableHeader,
  type XtObject,
} from '../abi/index.js';
import { formatCidr } from './address.js';
import { decodeMatch, decodeTarget, verdictOf } from './decode-objects.js';
import type { Chain, Counters, IpInversions, Policy, Rule, Table } from './types.js';

/** What decoding needs besides the entries: GET_INFO's (or the replace header's) hook data. */
export type TableLayout = Pick<TableHeader, 'validHooks' | 'hookEntry' | 'underflow'>;

/** What {@link decodeTable} leaves out. */
export interface DecodeOptions {
  /**
   * Whether rules carry their counters (default true). Enforcement plans leave them out: the
   * kernel counts enforced rules, and a large table's counters are two BigInts per rule.
   */
  ruleCounters?: boolean;
}

/** One parsed entry: where it is, its matches and target; its fixed part is read in place. */
interface RawEntry {
  offset: number;
  targetOffset: number;
  nextOffset: number;
  matches: XtObject[];
  target: XtObject;
}

/** The matches of an entry that has none (most entries of a large table): one shared array. */
const NO_MATCHES: XtObject[] = [];

/**
 * Decode a table laid out as iptables builds it (built-in chains from each hook entry to its
 * underflow, user chains headed by ERROR entries and ended by a RETURN, a final ERROR entry;
 * the handler refuses anything else). Counters come from the entries (a rule's only with
 * `options.ruleCounters`, the default). Throws a RangeError on a blob that does not have this
 * shape.
 */
export function decodeTable(
  name: string,
  layout: TableLayout,
  entries: Uint8Array,
  options: DecodeOptions = {},
): Table {
  const ruleCounters = options.ruleCounters ?? true;
  const raw = parseEntries(entries);
  const indexAt = new Map(raw.map((e, i) => [e.offset, i]));
  const chains: Chain[] = [];
  let next = 0;
  const builtinRanges: { name: string; from: number; policy: number }[] = [];
  for (let h = 0; h < NF_INET_NUMHOOKS; h++) {
    if (!(layout.validHooks & (1 << h))) continue;
    const from = indexAt.get(layout.hookEntry[h] ?? -1);
    const policy = indexAt.get(layout.underflow[h] ?? -1);
    if (from === undefined || policy === undefined || policy < from)
      throw new RangeError(`hook ${h}: hook entry/underflow not on entries`);
    builtinRanges.push({ name: HOOK_NAMES[h] ?? '', from, policy });
    next = Math.max(next, policy + 1);
  }
  // User chains: ERROR head, rules, RETURN tail; the last entry is the final ERROR.
  const userRanges: { name: string; head: number; tail: number }[] = [];
  const chainAtOffset = new Map<number, string>();
  let i = next;
  while (i < raw.length - 1) {
    const head = raw[i];
    if (!head || head.target.name !== XT_ERROR_TARGET)
      throw new RangeError(`entry ${i}: expected the ERROR entry of a user chain`);
    const chainName = readErrorName(entries, head.offset + head.targetOffset);
    let j = i + 1;
    while (j < raw.length - 1 && raw[j]?.target.name !== XT_ERROR_TARGET) j++;
    if (j - 1 <= i) throw new RangeError(`user chain "${chainName}" has no RETURN entry`);
    userRanges.push({ name: chainName, head: i, tail: j - 1 });
    chainAtOffset.set(raw[i + 1]?.offset ?? -1, chainName);
    i = j;
  }

  const toRule = (entry: RawEntry, index: number) =>
    decodeRule(entries, entry, chainAtOffset, `entry ${index}`, ruleCounters);
  for (const range of builtinRanges) {
    const policyEntry = raw[range.policy];
    if (!policyEntry) throw new RangeError(`chain ${range.name}: no policy entry`);
    chains.push({
      name: range.name,
      policy: policyOf(policyEntry, range.name),
      counters: countersOf(entries, policyEntry),
      rules: raw.slice(range.from, range.policy).map((e, k) => toRule(e, range.from + k)),
    });
  }
  for (const range of userRanges) {
    const tail = raw[range.tail];
    chains.push({
      name: range.name,
      counters: tail ? countersOf(entries, tail) : { packets: 0n, bytes: 0n },
      rules: raw.slice(range.head + 1, range.tail).map((e, k) => toRule(e, range.head + 1 + k)),
    });
  }
  return { name, chains };
}

/** Split an entry blob into entries (sizes trusted only as far as they stay in bounds). */
function parseEntries(entries: Uint8Array): RawEntry[] {
  const out: RawEntry[] = [];
  let offset = 0;
  while (offset < entries.length) {
    if (offset + IPT_ENTRY_SIZE > entries.length)
      throw new RangeError(`entry at ${offset}: truncated`);
    const targetOffset = readU16(entries, offset + IptEntryOffset.targetOffset);
    const nextOffset = readU16(entries, offset + IptEntryOffset.nextOffset);
    if (
      nextOffset < IPT_ENTRY_SIZE + XT_OBJECT_HEADER_SIZE ||
      offset + nextOffset > entries.length ||
      targetOffset > nextOffset - XT_OBJECT_HEADER_SIZE
    ) {
      throw new RangeError(`entry at ${offset}: bad offsets`);
    }
    let matches = NO_MATCHES;
    let pos = offset + IPT_ENTRY_SIZE;
    if (pos < offset + targetOffset) matches = [];
    while (pos < offset + targetOffset) {
      const match = readObject(entries, pos);
      if (match.size < XT_OBJECT_HEADER_SIZE)
        throw new RangeError(`entry at ${offset}: bad match size`);
      matches.push(match);
      pos += match.size;
    }
    const target = readObject(entries, offset + targetOffset);
    out.push({ offset, targetOffset, nextOffset, matches, target });
    offset += nextOffset;
  }
  return out;
}

/** A match or target with its data as a view into `entries` (copied only when kept raw). */
function readObject(entries: Uint8Array, offset: number): XtObject & { size: number } {
  // Field by field, no header object: a large table has thousands of these.
  const size = readU16(entries, offset);
  const name = readCString(entries, offset + 2, XT_EXTENSION_MAXNAMELEN);
  const revision = entries[offset + XT_OBJECT_HEADER_SIZE - 1] ?? 0;
  const data = entries.subarray(
    offset + XT_OBJECT_HEADER_SIZE,
    offset + Math.max(size, XT_OBJECT_HEADER_SIZE),
  );
  return { size, name, revision, data };
}

function countersOf(entries: Uint8Array, entry: RawEntry): Counters {
  return {
    packets: readU64(entries, entry.offset + IptEntryOffset.pcnt),
    bytes: readU64(entries, entry.offset + IptEntryOffset.bcnt),
  };
}

function policyOf(entry: RawEntry, chain: string): Policy {
  const verdict = entry.target.name === XT_STANDARD_TARGET ? verdictOf(entry.target) : undefined;
  if (verdict === VERDICT_ACCEPT) return 'ACCEPT';
  if (verdict === VERDICT_DROP) return 'DROP';
  throw new RangeError(`chain ${chain}: the policy entry is not ACCEPT or DROP`);
}

/** The `invflags` bits the model holds (as {@link IpInversions}). */
const IP_INVERSIONS =
  IPT_INV_SRCIP | IPT_INV_DSTIP | IPT_INV_VIA_IN | IPT_INV_VIA_OUT | IPT_INV_PROTO | IPT_INV_FRAG;

/** A network-order address at `offset`, as a number. */
function readAddress(bytes: Uint8Array, offset: number): number {
  return (
    (((bytes[offset] ?? 0) << 24) |
      ((bytes[offset + 1] ?? 0) << 16) |
      ((bytes[offset + 2] ?? 0) << 8) |
      (bytes[offset + 3] ?? 0)) >>>
    0
  );
}

/** The rule of `entry`, its `ipt_ip` read in place (no header object, no dotted quads). */
function decodeRule(
  entries: Uint8Array,
  entry: RawEntry,
  chainAtOffset: Map<number, string>,
  where: string,
  withCounters: boolean,
): Rule {
  const at = entry.offset;
  const flags = entries[at + IptEntryOffset.flags] ?? 0;
  const inv = entries[at + IptEntryOffset.invflags] ?? 0;
  const place = { offset: at, nextOffset: entry.nextOffset, flags };
  const rule: Rule = { target: decodeTarget(entry.target, place, chainAtOffset, where) };
  let invert: IpInversions | undefined;
  if (inv & IP_INVERSIONS) {
    invert = {};
    if (inv & IPT_INV_SRCIP) invert.source = true;
    if (inv & IPT_INV_DSTIP) invert.destination = true;
    if (inv & IPT_INV_VIA_IN) invert.inInterface = true;
    if (inv & IPT_INV_VIA_OUT) invert.outInterface = true;
    if (inv & IPT_INV_PROTO) invert.protocol = true;
    if (inv & IPT_INV_FRAG) invert.fragment = true;
  }
  const src = readAddress(entries, at + IptEntryOffset.src);
  const srcMask = readAddress(entries, at + IptEntryOffset.smsk);
  if (srcMask !== 0 || src !== 0 || invert?.source) rule.source = formatCidr(src, srcMask);
  const dst = readAddress(entries, at + IptEntryOffset.dst);
  const dstMask = readAddress(entries, at + IptEntryOffset.dmsk);
  if (dstMask !== 0 || dst !== 0 || invert?.destination)
    rule.destination = formatCidr(dst, dstMask);
  decodeInterface(rule, 'in', entries, at + IptEntryOffset.iniface, invert?.inInterface);
  decodeInterface(rule, 'out', entries, at + IptEntryOffset.outiface, invert?.outInterface);
  const proto = readU16(entries, at + IptEntryOffset.proto);
  if (proto !== 0 || invert?.protocol) rule.protocol = proto;
  if (flags & IPT_F_FRAG) rule.fragment = true;
  if (invert !== undefined) rule.invert = invert;
  if (entry.matches.length > 0) rule.matches = entry.matches.map(decodeMatch);
  if (withCounters) rule.counters = countersOf(entries, entry);
  return rule;
}

/**
 * The interface name at `nameAt` (its mask 32 bytes further on); the mask is kept only where
 * it differs from the one iptables derives from the name.
 */
function decodeInterface(
  rule: Rule,
  which: 'in' | 'out',
  entries: Uint8Array,
  nameAt: number,
  inverted: boolean | undefined,
): void {
  const maskAt = nameAt + IptEntryOffset.inifaceMask - IptEntryOffset.iniface;
  const name = readCString(entries, nameAt, IFNAMSIZ);
  let hasMask = false;
  for (let i = 0; i < IFNAMSIZ && !hasMask; i++) hasMask = entries[maskAt + i] !== 0;
  if (name === '' && !hasMask && !inverted) return;
  // As interfaceMaskFor(name): 0xff over the name and its NUL, or over the stem of `name+`.
  const covered =
    name === '' ? 0 : name.endsWith('+') ? name.length - 1 : Math.min(name.length + 1, IFNAMSIZ);
  let differs = false;
  for (let i = 0; i < IFNAMSIZ && !differs; i++)
    differs = entries[maskAt + i] !== (i < covered ? 0xff : 0);
  const mask = differs ? entries.slice(maskAt, maskAt + IFNAMSIZ) : undefined;
  if (which === 'in') {
    rule.inInterface = name;
    if (mask) rule.inInterfaceMask = mask;
  } else {
    rule.outInterface = name;
    if (mask) rule.outInterfaceMask = mask;
  }
}
