/**
 * Which rules can share one verdict-map lookup, and when a rule may be moved past another.
 *
 * A rule has an *exact key* when all it matches are exact header values (one address, one
 * port, one interface name, a protocol) and its target is a verdict: rules of the same
 * shape (protocol and fields) with different keys never match the same packet, so a run of
 * them is one `vmap` lookup of the key, each element with its own counter. A rule may move
 * past another only when the two are *disjoint* (no packet matches both): then no packet
 * sees a different sequence of matching rules.
 */
import { parseCidr } from '../model/address.js';
import type { IpInversions, Rule, Target } from '../model/types.js';
import { jumpStatement, type NftExpr, verdictStatement } from './nft-expr.js';

/** A header field an exact key is made of, in key order. */
export type KeyField = 'saddr' | 'daddr' | 'iifname' | 'oifname' | 'sport' | 'dport';

/** The exact key of a rule that can be a verdict-map element. */
export interface ExactKey {
  /** Rules with equal shapes can share a map: protocol and fields. */
  shape: string;
  /** The protocol the rule requires (`-p`), 0 for any. */
  protocol: number;
  /** The fields of the key, in key order. */
  fields: KeyField[];
  /** The value of each field: addresses as u32, ports as numbers, interface names. */
  values: (number | string)[];
  /** Equal ids: equal keys. */
  id: string;
  /** The element's verdict (nft JSON). */
  verdict: NftExpr;
}

/** The exact key of `rule`, or undefined if its matches or target do not make one. */
export function exactKey(rule: Rule): ExactKey | undefined {
  const verdict = mapVerdict(rule.target);
  if (verdict === undefined || rule.fragment || hasInversion(rule)) return undefined;
  if (rule.inInterfaceMask !== undefined || rule.outInterfaceMask !== undefined) return undefined;
  const protocol = rule.protocol ?? 0;
  // Every field at most once, always in KeyField order: the set of fields (a bit each) names
  // the shape, so each shape's name and field list are made once (a table has few shapes).
  let shapeBits = 0;
  const values: (number | string)[] = [];
  for (let f = 0; f < 2; f++) {
    const cidr = f === 0 ? rule.source : rule.destination;
    if (cidr === undefined) continue;
    const { address, mask } = parseCidr(cidr);
    if (mask === 0) continue;
    if (mask !== 0xffffffff) return undefined;
    shapeBits |= 1 << f;
    values.push(address >>> 0);
  }
  for (let f = 2; f < 4; f++) {
    const name = f === 2 ? rule.inInterface : rule.outInterface;
    if (name === undefined) continue;
    if (name.endsWith('+') || /[*\\]/.test(name)) return undefined;
    shapeBits |= 1 << f;
    values.push(name);
  }
  for (const m of rule.matches ?? []) {
    if (m.kind === 'raw' && m.name === 'comment') continue;
    if ((m.kind !== 'tcp' && m.kind !== 'udp') || m.invert !== undefined) return undefined;
    if (m.kind === 'tcp' && ((m.flags !== undefined && m.flags.mask !== 0) || m.option))
      return undefined;
    if (protocol !== (m.kind === 'tcp' ? 6 : 17) || shapeBits & DPORT) return undefined;
    const sport = singlePort(m.sourcePorts);
    const dport = singlePort(m.destinationPorts);
    // A port match without a port is xt_tcp's "first fragment only": not a key.
    if (sport === null || dport === null || (sport === undefined && dport === undefined))
      return undefined;
    // A second tcp/udp match with a source port would repeat the field: no key.
    if (sport !== undefined && shapeBits & SPORT) return undefined;
    if (sport !== undefined) {
      shapeBits |= SPORT;
      values.push(sport);
    }
    if (dport !== undefined) {
      shapeBits |= DPORT;
      values.push(dport);
    }
  }
  if (shapeBits === 0) return undefined;
  const { shape, fields } = shapeOf(protocol, shapeBits);
  return { shape, protocol, fields, values, id: values.join('\u0000'), verdict };
}

const KEY_FIELDS: readonly KeyField[] = ['saddr', 'daddr', 'iifname', 'oifname', 'sport', 'dport'];
const SPORT = 1 << 4;
const DPORT = 1 << 5;
const shapes = new Map<number, { shape: string; fields: KeyField[] }>();

/** The shape of a key of `protocol` with the fields of `bits` (one string and list each). */
function shapeOf(protocol: number, bits: number): { shape: string; fields: KeyField[] } {
  const id = protocol * 64 + bits;
  let known = shapes.get(id);
  if (known === undefined) {
    const fields = KEY_FIELDS.filter((_, f) => bits & (1 << f));
    known = { shape: `${protocol}:${fields.join('.')}`, fields };
    shapes.set(id, known);
  }
  return known;
}

/** Undefined for all ports, the port for one, null for a range. */
function singlePort(range: [number, number] | undefined): number | undefined | null {
  if (range === undefined || (range[0] === 0 && range[1] === 65535)) return undefined;
  return range[0] === range[1] ? range[0] : null;
}

function hasInversion(rule: Rule): boolean {
  const invert = rule.invert;
  if (invert === undefined) return false;
  for (const key in invert) if (invert[key as keyof IpInversions] === true) return true;
  return false;
}

function mapVerdict(target: Target): NftExpr | undefined {
  if (target.kind === 'jump' || target.kind === 'goto')
    return jumpStatement(target.kind, target.chain);
  if (target.kind !== 'verdict' || target.verdict === 'QUEUE') return undefined;
  return verdictStatement(target.verdict);
}

/** What a rule constrains, as far as disjointness is judged (others: any value). */
export interface RuleSpan {
  protocol?: { value: number; invert: boolean };
  saddr?: { address: number; mask: number; invert: boolean };
  daddr?: { address: number; mask: number; invert: boolean };
  iifname?: { name: string; invert: boolean };
  oifname?: { name: string; invert: boolean };
  /** The protocol of the rule's tcp/udp match and its port ranges. */
  ports?: {
    protocol: number;
    sport?: { range: [number, number]; invert: boolean };
    dport?: { range: [number, number]; invert: boolean };
  };
}

/** The span of `rule` (the fields {@link disjoint} looks at). */
export function spanOf(rule: Rule): RuleSpan {
  const invert = rule.invert ?? NO_INVERSIONS;
  const span: RuleSpan = {};
  if (rule.protocol) span.protocol = { value: rule.protocol, invert: invert.protocol === true };
  if (rule.source !== undefined) span.saddr = cidr(rule.source, invert.source);
  if (rule.destination !== undefined) span.daddr = cidr(rule.destination, invert.destination);
  if (rule.inInterface !== undefined && rule.inInterfaceMask === undefined)
    span.iifname = { name: rule.inInterface, invert: invert.inInterface === true };
  if (rule.outInterface !== undefined && rule.outInterfaceMask === undefined)
    span.oifname = { name: rule.outInterface, invert: invert.outInterface === true };
  for (const m of rule.matches ?? []) {
    if (m.kind !== 'tcp' && m.kind !== 'udp') continue;
    span.ports = { protocol: m.kind === 'tcp' ? 6 : 17 };
    if (m.sourcePorts)
      span.ports.sport = { range: m.sourcePorts, invert: m.invert?.sourcePorts === true };
    if (m.destinationPorts)
      span.ports.dport = { range: m.destinationPorts, invert: m.invert?.destinationPorts === true };
  }
  return span;
}

const NO_INVERSIONS: IpInversions = {};

function cidr(text: string, inverted: boolean | undefined): NonNullable<RuleSpan['saddr']> {
  const { address, mask } = parseCidr(text);
  return { address: (address & mask) >>> 0, mask, invert: inverted === true };
}

/** Whether no packet can match both the rule of `key` and a rule of `span` (false: maybe). */
export function disjoint(key: ExactKey, span: RuleSpan): boolean {
  const p = span.protocol;
  if (key.protocol !== 0 && p !== undefined && (p.value === key.protocol) === p.invert) return true;
  for (let i = 0; i < key.fields.length; i++) {
    const value = key.values[i]!;
    switch (key.fields[i]) {
      case 'saddr':
      case 'daddr': {
        const a = key.fields[i] === 'saddr' ? span.saddr : span.daddr;
        if (a && (((value as number) & a.mask) >>> 0 === a.address) === a.invert) return true;
        break;
      }
      case 'iifname':
      case 'oifname': {
        const f = key.fields[i] === 'iifname' ? span.iifname : span.oifname;
        if (f && ifaceMatches(f.name, value as string) === f.invert) return true;
        break;
      }
      case 'sport':
      case 'dport': {
        const ports = span.ports;
        if (ports === undefined || ports.protocol !== key.protocol) break;
        const side = key.fields[i] === 'sport' ? ports.sport : ports.dport;
        if (side === undefined) break;
        const inside = (value as number) >= side.range[0] && (value as number) <= side.range[1];
        if (inside === side.invert) return true;
        break;
      }
    }
  }
  return false;
}

/** Whether no rule of `key`'s shape can match a packet a rule of `span` matches (protocols differ). */
export function shapeExcludes(key: ExactKey, span: RuleSpan): boolean {
  const p = span.protocol;
  return key.protocol !== 0 && p !== undefined && (p.value === key.protocol) === p.invert;
}

/** The one value `span` requires in `field` (for rules of `protocol`), if it requires one. */
export function exactValue(
  span: RuleSpan,
  field: KeyField,
  protocol: number,
): number | string | undefined {
  switch (field) {
    case 'saddr':
    case 'daddr': {
      const a = span[field];
      return a && !a.invert && a.mask === 0xffffffff ? a.address : undefined;
    }
    case 'iifname':
    case 'oifname': {
      const f = span[field];
      return f && !f.invert && !f.name.endsWith('+') ? f.name : undefined;
    }
    case 'sport':
    case 'dport': {
      const side = span.ports?.protocol === protocol ? span.ports[field] : undefined;
      return side && !side.invert && side.range[0] === side.range[1] ? side.range[0] : undefined;
    }
  }
}

/** iptables' interface match: exact, or a prefix when the pattern ends in `+`. */
function ifaceMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}
