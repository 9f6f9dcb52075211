/** The kernel's entry blob (GET_ENTRIES or SET_REPLACE) -> table model. */
import {
  IFNAMSIZ,
  IPT_ENTRY_SIZE,
  IPT_F_FRAG,
  IptEntryOffset,
  VERDICT_ACCEPT,
  VERDICT_DROP,
  XT_OBJECT_HEADER_SIZE,
  XT_STANDARD_TARGET,
  readCString,
  readIpv4Value,
  readU16,
  readU64,
  type XtObject,
} from '../abi/index.js';
import { formatCidr } from './address.js';
import {
  indexEntries,
  objectName,
  objectRevision,
  type TableLayout,
  targetAt,
} from './entry-index.js';
import { inversionsOf } from './ip-inversions.js';
import { decodeMatch, decodeTarget, verdictOf } from './decode-objects.js';
import type { Chain, Counters, Policy, Rule, Table } from './types.js';

export type { TableLayout } from './entry-index.js';

/** One entry's matches and target, parsed. */
interface RawEntry {
  offset: number;
  nextOffset: number;
  matches: XtObject[];
  target: XtObject;
}

/** The matches of an entry that has none (most entries of a large table): one shared array. */
const NO_MATCHES: XtObject[] = [];

/**
 * Decode a table laid out as iptables builds it (entry-index.ts), counters from the entries.
 * Throws a RangeError on a blob that does not have this shape.
 */
export function decodeTable(name: string, layout: TableLayout, entries: Uint8Array): Table {
  const { offsets, builtins, users, chainAtOffset } = indexEntries(layout, entries);
  const rulesOf = (from: number, to: number) => {
    const rules: Rule[] = [];
    for (let i = from; i < to; i++)
      rules.push(decodeRuleAt(entries, offsets[i]!, chainAtOffset, `entry ${i}`, true));
    return rules;
  };
  const chains: Chain[] = [];
  for (const range of builtins) {
    const policyEntry = parseEntry(entries, offsets[range.policy]!);
    chains.push({
      name: range.name,
      policy: policyOf(policyEntry, range.name),
      counters: countersOf(entries, policyEntry.offset),
      rules: rulesOf(range.from, range.policy),
    });
  }
  for (const range of users) {
    chains.push({
      name: range.name,
      counters: countersOf(entries, offsets[range.tail]!),
      rules: rulesOf(range.head + 1, range.tail),
    });
  }
  return { name, chains };
}

/**
 * The rule of the entry at `offset` (`chainAtOffset`: the user chain starting at each jump
 * offset; `where` names the entry in a RangeError), with its counters or without.
 */
export function decodeRuleAt(
  entries: Uint8Array,
  offset: number,
  chainAtOffset: ReadonlyMap<number, string>,
  where: string,
  withCounters = false,
): Rule {
  return decodeRule(entries, parseEntry(entries, offset), chainAtOffset, where, withCounters);
}

/** The matches and target of the entry at `offset` (its offsets checked by indexEntries). */
function parseEntry(entries: Uint8Array, offset: number): RawEntry {
  const target = targetAt(entries, offset);
  let matches = NO_MATCHES;
  let pos = offset + IPT_ENTRY_SIZE;
  if (pos < target) matches = [];
  while (pos < target) {
    const match = readObject(entries, pos);
    matches.push(match);
    pos += match.size;
  }
  const nextOffset = readU16(entries, offset + IptEntryOffset.nextOffset);
  return { offset, nextOffset, matches, target: readObject(entries, target) };
}

/** A match or target with its data as a view into `entries` (copied only when kept raw). */
function readObject(entries: Uint8Array, offset: number): XtObject & { size: number } {
  // Field by field, no header object: a large table has thousands of these.
  const size = readU16(entries, offset);
  const name = objectName(entries, offset);
  const revision = objectRevision(entries, offset);
  const data = entries.subarray(
    offset + XT_OBJECT_HEADER_SIZE,
    offset + Math.max(size, XT_OBJECT_HEADER_SIZE),
  );
  return { size, name, revision, data };
}

function countersOf(entries: Uint8Array, offset: number): Counters {
  return {
    packets: readU64(entries, offset + IptEntryOffset.pcnt),
    bytes: readU64(entries, offset + IptEntryOffset.bcnt),
  };
}

function policyOf(entry: RawEntry, chain: string): Policy {
  const verdict = entry.target.name === XT_STANDARD_TARGET ? verdictOf(entry.target) : undefined;
  if (verdict === VERDICT_ACCEPT) return 'ACCEPT';
  if (verdict === VERDICT_DROP) return 'DROP';
  throw new RangeError(`chain ${chain}: the policy entry is not ACCEPT or DROP`);
}

/** The rule of `entry`, its `ipt_ip` read in place (no header object, no dotted quads). */
function decodeRule(
  entries: Uint8Array,
  entry: RawEntry,
  chainAtOffset: ReadonlyMap<number, string>,
  where: string,
  withCounters: boolean,
): Rule {
  const at = entry.offset;
  const flags = entries[at + IptEntryOffset.flags] ?? 0;
  const inv = entries[at + IptEntryOffset.invflags] ?? 0;
  const place = { offset: at, nextOffset: entry.nextOffset, flags };
  const rule: Rule = { target: decodeTarget(entry.target, place, chainAtOffset, where) };
  const invert = inversionsOf(inv);
  const src = readIpv4Value(entries, at + IptEntryOffset.src);
  const srcMask = readIpv4Value(entries, at + IptEntryOffset.smsk);
  if (srcMask !== 0 || src !== 0 || invert?.source) rule.source = formatCidr(src, srcMask);
  const dst = readIpv4Value(entries, at + IptEntryOffset.dst);
  const dstMask = readIpv4Value(entries, at + IptEntryOffset.dmsk);
  if (dstMask !== 0 || dst !== 0 || invert?.destination)
    rule.destination = formatCidr(dst, dstMask);
  decodeInterface(rule, 'in', entries, at + IptEntryOffset.iniface, invert?.inInterface);
  decodeInterface(rule, 'out', entries, at + IptEntryOffset.outiface, invert?.outInterface);
  const proto = readU16(entries, at + IptEntryOffset.proto);
  if (proto !== 0 || invert?.protocol) rule.protocol = proto;
  if (flags & IPT_F_FRAG) rule.fragment = true;
  if (invert !== undefined) rule.invert = invert;
  if (entry.matches.length > 0) rule.matches = entry.matches.map(decodeMatch);
  if (withCounters) rule.counters = countersOf(entries, at);
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
