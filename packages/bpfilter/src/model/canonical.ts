/**
 * The one canonical form of a table model. Several models can mean the same rule (a udp match
 * with `sourcePorts: [0, 65535]` and one without `sourcePorts` encode to the same bytes); the
 * canonical form is the one `decodeTable` gives back, so two models are equivalent exactly when
 * their canonical forms are deep-equal. Counters are kept as they are.
 */
import { interfaceMaskFor } from '../abi/index.js';
import { formatCidr, parseCidr } from './address.js';
import type { IpInversions, Match, PortRange, Rule, Table } from './types.js';

/** True for the range that matches every port, which the kernel stores like "no port given". */
export function isAnyPort(range: readonly [number, number]): boolean {
  return range[0] === 0 && range[1] === 0xffff;
}

/** True for the ICMP code range that matches every code. */
export function isAnyIcmpCode(range: readonly [number, number]): boolean {
  return range[0] === 0 && range[1] === 0xff;
}

/** `table` with every rule in its canonical form (see the module comment). */
export function canonicalTable(table: Table): Table {
  return {
    ...table,
    chains: table.chains.map((chain) => ({ ...chain, rules: chain.rules.map(canonicalRule) })),
  };
}

/** `rule` in the form `decodeTable` reads it back in. */
export function canonicalRule(rule: Rule): Rule {
  const invert = trueKeys(rule.invert ?? {}) as IpInversions;
  const out: Rule = { target: rule.target };
  const source = canonicalAddress(rule.source, invert.source);
  if (source !== undefined) out.source = source;
  const destination = canonicalAddress(rule.destination, invert.destination);
  if (destination !== undefined) out.destination = destination;
  copyInterface(out, rule, 'in', invert.inInterface);
  copyInterface(out, rule, 'out', invert.outInterface);
  if (rule.protocol || invert.protocol) out.protocol = rule.protocol ?? 0;
  if (rule.fragment) out.fragment = true;
  if (Object.keys(invert).length > 0) out.invert = invert;
  if (rule.matches?.length) out.matches = rule.matches.map(canonicalMatch);
  if (rule.counters) out.counters = rule.counters;
  return out;
}

/** An address as `addr/prefix` (or dotted mask), or undefined where it means "any address". */
function canonicalAddress(text: string | undefined, inverted: boolean | undefined) {
  if (text === undefined) return inverted ? '0.0.0.0/0' : undefined;
  const { address, mask } = parseCidr(text);
  if (address === 0 && mask === 0 && !inverted) return undefined;
  return formatCidr(address, mask);
}

/**
 * Copies the `side` interface of `rule` into `out` with its mask kept only where it differs
 * from what the name implies; nothing where it means "any interface".
 */
function copyInterface(
  out: Rule,
  rule: Rule,
  side: 'in' | 'out',
  inverted: boolean | undefined,
): void {
  const given = rule[`${side}Interface`] ?? '';
  const implied = interfaceMaskFor(given);
  const effective = rule[`${side}InterfaceMask`] ?? implied;
  if (given === '' && !effective.some((b) => b !== 0) && !inverted) return;
  out[`${side}Interface`] = given;
  if (implied.some((b, i) => b !== effective[i])) out[`${side}InterfaceMask`] = effective;
}

function canonicalMatch(match: Match): Match {
  switch (match.kind) {
    case 'tcp': {
      const invert = trueKeys(match.invert ?? {});
      const flags = match.flags;
      return {
        kind: 'tcp',
        ...ports('sourcePorts', match.sourcePorts, invert.sourcePorts),
        ...ports('destinationPorts', match.destinationPorts, invert.destinationPorts),
        ...((flags && (flags.mask !== 0 || flags.compare !== 0)) || invert.flags
          ? { flags: { mask: flags?.mask ?? 0, compare: flags?.compare ?? 0 } }
          : {}),
        ...(match.option || invert.option ? { option: match.option ?? 0 } : {}),
        ...(Object.keys(invert).length > 0 ? { invert } : {}),
      };
    }
    case 'udp': {
      const invert = trueKeys(match.invert ?? {});
      return {
        kind: 'udp',
        ...ports('sourcePorts', match.sourcePorts, invert.sourcePorts),
        ...ports('destinationPorts', match.destinationPorts, invert.destinationPorts),
        ...(Object.keys(invert).length > 0 ? { invert } : {}),
      };
    }
    case 'icmp':
      return {
        kind: 'icmp',
        type: match.type,
        ...(match.code && !isAnyIcmpCode(match.code) ? { code: match.code } : {}),
        ...(match.invert ? { invert: true } : {}),
      };
    default:
      return match;
  }
}

/** `{ [key]: range }` unless the range means "any port" and is not inverted. */
function ports<K extends string>(key: K, range: PortRange | undefined, inverted?: boolean) {
  if (inverted) return { [key]: range ?? [0, 0xffff] } as Record<K, PortRange>;
  return range && !isAnyPort(range) ? ({ [key]: range } as Record<K, PortRange>) : {};
}

/** The keys of a flags object whose value is `true` (`false` and absent mean the same). */
function trueKeys<T extends object>(flags: T): Partial<Record<keyof T, true>> {
  return Object.fromEntries(Object.entries(flags).filter(([, on]) => on === true)) as Partial<
    Record<keyof T, true>
  >;
}
