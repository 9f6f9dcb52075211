/**
 * One iptables rule (model form) -> the nftables statements of one rule that matches the
 * same packets and has the same effect: IP fields, the tcp/udp/icmp matches, the targets the
 * model decodes, then the other extensions by name (raw-extensions.ts). A counter statement
 * sits right before the verdict, so nft counts exactly the packets the rule matched. A
 * `--ctstate` with SNAT/DNAT (ct-alternatives.ts) or a `-j TTL --ttl-inc/--ttl-dec`
 * (ttl-steps.ts) takes several such rules.
 */
import { formatIpv4 } from '../abi/index.js';
import { parseCidr, prefixLength } from '../model/address.js';
import type { XtObject } from '../abi/xt-object.js';
import { decodeMatch } from '../model/decode-objects.js';
import type { IcmpMatch, Match, Rule, TcpMatch, Target, UdpMatch } from '../model/types.js';
import { ctAlternatives, refuseStatefulSplit } from './ct-alternatives.js';
import { UntranslatableError } from './errors.js';
import {
  and,
  jumpStatement,
  match,
  meta,
  type NftExpr,
  payload,
  rangeOrValue,
  set,
  verdictStatement,
} from './nft-expr.js';
import { ctCheckExpr, ctStateOf, translateRawMatch } from './raw-matches.js';
import { tproxyRules, translateRawTarget } from './raw-targets.js';
import { ttlSteps } from './ttl-steps.js';

/** What a rule translates to: its matches, then (counter and) its effect. */
export interface TranslatedRule {
  /**
   * The statements of each nft rule, counter included: one rule, or (ct-alternatives.ts)
   * several in a row that no packet matches two of.
   */
  rules: NftExpr[][];
}

/** Translates `rule`; throws {@link UntranslatableError} naming the extension it cannot express. */
export function translateRule(rule: Rule): TranslatedRule {
  let rules: NftExpr[][] = [ipFields(rule)];
  for (const m of rule.matches ?? []) {
    const alternatives = matchAlternatives(m);
    if (alternatives.length === 1) {
      for (const r of rules) r.push(...alternatives[0]!);
      continue;
    }
    // Several split tests multiply, the first one's alternative changing fastest, as the
    // netlink writer numbers them (netlink-rule.ts).
    rules = alternatives.flatMap((checks) => rules.map((r) => [...r, ...checks]));
  }
  const { target } = rule;
  const steps =
    target.kind === 'raw' && target.name === 'TTL'
      ? ttlSteps(target.data, target.revision)
      : undefined;
  if (steps !== undefined && rules.length > 1)
    throw new UntranslatableError('-j TTL', '--ttl-inc/--ttl-dec beside --ctstate SNAT/DNAT');
  const tproxy = target.kind === 'raw' && target.name === 'TPROXY';
  if (tproxy && rules.length > 1)
    throw new UntranslatableError('-j TPROXY', 'beside --ctstate SNAT/DNAT');
  if (rules.length > 1 || steps !== undefined || tproxy)
    refuseStatefulSplit((rule.matches ?? []).map((m) => (m.kind === 'raw' ? m.name : m.kind)));
  if (tproxy) {
    const [head] = rules as [NftExpr[]];
    return { rules: tproxyRules(target.data, target.revision).map((tail) => [...head, ...tail]) };
  }
  if (steps !== undefined) {
    const [head] = rules as [NftExpr[]];
    const ttl = payload('ip', 'ttl');
    return {
      rules: steps.map(({ from, to, set }) => [
        ...head,
        match(ttl, '==', rangeOrValue(from, to)),
        { counter: null },
        { mangle: { key: ttl, value: set } },
      ]),
    };
  }
  const effect = [{ counter: null }, ...translateTarget(target)];
  return { rules: rules.map((r) => [...r, ...effect]) };
}

/**
 * Whether nft's JSON has no form for the match or target `object` (nft_compat then runs it:
 * netlink-compat.ts). LOG, REJECT and the standard target are decoded by the model itself.
 */
export function refusedByNft(kind: 'match' | 'target', object: XtObject): boolean {
  try {
    if (kind === 'match') matchAlternatives(decodeMatch(object));
    else if (!['', 'LOG', 'REJECT'].includes(object.name))
      translateRawTarget({ kind: 'raw', ...object });
    return false;
  } catch (error) {
    if (error instanceof UntranslatableError) return true;
    throw error;
  }
}

/** The statements of a match, for each nft rule it takes (one, but for some ct tests). */
function matchAlternatives(m: Match): NftExpr[][] {
  if (m.kind !== 'raw' || (m.name !== 'state' && m.name !== 'conntrack'))
    return [translateMatch(m)];
  const test = ctStateOf(m);
  return test ? ctAlternatives(test).map((checks) => checks.map(ctCheckExpr)) : [[]];
}

function ipFields(rule: Rule): NftExpr[] {
  const out: NftExpr[] = [];
  const invert = rule.invert ?? {};
  if (rule.source !== undefined) out.push(...address('saddr', rule.source, invert.source));
  if (rule.destination !== undefined)
    out.push(...address('daddr', rule.destination, invert.destination));
  if (rule.inInterfaceMask !== undefined || rule.outInterfaceMask !== undefined)
    throw new UntranslatableError('-i/-o', 'an interface mask other than the name implies');
  if (rule.inInterface !== undefined)
    out.push(...iface('iifname', rule.inInterface, invert.inInterface));
  if (rule.outInterface !== undefined)
    out.push(...iface('oifname', rule.outInterface, invert.outInterface));
  if (rule.protocol !== undefined && rule.protocol !== 0)
    out.push(match(payload('ip', 'protocol'), invert.protocol ? '!=' : '==', rule.protocol));
  else if (invert.protocol)
    throw new UntranslatableError('! -p all', 'a rule that matches nothing');
  if (rule.fragment)
    // -f: second and later fragments (fragment offset not 0).
    out.push(match(and(payload('ip', 'frag-off'), 0x1fff), invert.fragment ? '==' : '!=', 0));
  return out;
}

function address(field: 'saddr' | 'daddr', cidr: string, inverted = false): NftExpr[] {
  const { address: value, mask } = parseCidr(cidr);
  const op = inverted ? '!=' : '==';
  if (mask === 0 && !inverted) return []; // 0.0.0.0/0 matches every packet
  const prefix = prefixLength(mask);
  const left = payload('ip', field);
  const network = formatIpv4((value & mask) >>> 0);
  if (prefix === 32) return [match(left, op, network)];
  if (prefix !== undefined && prefix > 0)
    return [match(left, op, { prefix: { addr: network, len: prefix } })];
  return [match(and(left, formatIpv4(mask)), op, network)];
}

function iface(key: 'iifname' | 'oifname', name: string, inverted = false): NftExpr[] {
  const option = key === 'iifname' ? '-i' : '-o';
  // `-i +` compares no byte of the name: it matches every packet (nft refuses a lone "*"),
  // and `! -i +` none, which nft has no form for.
  if (name === '+') {
    if (inverted) throw new UntranslatableError(`! ${option} +`, 'a rule that matches nothing');
    return [];
  }
  // nft reads a trailing `*` as its wildcard and `\` as an escape: names holding them would
  // not mean what iptables means.
  if (/[*\\]/.test(name)) throw new UntranslatableError(option, `interface name "${name}"`);
  const wildcard = name.endsWith('+');
  const value = wildcard ? `${name.slice(0, -1)}*` : name;
  return [match(meta(key), inverted ? '!=' : '==', value)];
}

function translateMatch(m: Match): NftExpr[] {
  switch (m.kind) {
    case 'tcp':
      return orFirstFragment([...ports('tcp', m), ...tcpFlags(m)]);
    case 'udp':
      return orFirstFragment(ports('udp', m));
    case 'icmp':
      return icmp(m);
    case 'raw':
      return translateRawMatch(m);
  }
}

function ports(protocol: 'tcp' | 'udp', m: TcpMatch | UdpMatch): NftExpr[] {
  const out: NftExpr[] = [];
  const side = (field: 'sport' | 'dport', range: [number, number] | undefined, inv?: boolean) => {
    if (range === undefined) return;
    const [min, max] = range;
    if (min === 0 && max === 65535 && !inv) return;
    out.push(match(payload(protocol, field), inv ? '!=' : '==', rangeOrValue(min, max)));
  };
  side('sport', m.sourcePorts, m.invert?.sourcePorts);
  side('dport', m.destinationPorts, m.invert?.destinationPorts);
  return out;
}

function tcpFlags(m: TcpMatch): NftExpr[] {
  const out: NftExpr[] = [];
  if (m.flags !== undefined && (m.flags.mask !== 0 || m.invert?.flags)) {
    const op = m.invert?.flags ? '!=' : '==';
    out.push(match(and(payload('tcp', 'flags'), m.flags.mask), op, m.flags.compare));
  }
  if (m.option !== undefined && m.option !== 0)
    throw new UntranslatableError('tcp --tcp-option', 'not expressed in nftables JSON here');
  return out;
}

/**
 * xt_tcp, xt_udp and icmp never match a later fragment (offset not 0). An nft transport
 * payload load does not match one either; a match with no field to load needs it said.
 */
function firstFragment(): NftExpr {
  return match(and(payload('ip', 'frag-off'), 0x1fff), '==', 0);
}

function orFirstFragment(matches: NftExpr[]): NftExpr[] {
  return matches.length > 0 ? matches : [firstFragment()];
}

function icmp(m: IcmpMatch): NftExpr[] {
  const [codeMin, codeMax] = m.code ?? [0, 255];
  const allCodes = codeMin === 0 && codeMax === 255;
  // xt icmp matches no later fragment; an icmp payload load does not match one either.
  if (m.type === 255) {
    if (m.invert)
      throw new UntranslatableError('icmp ! --icmp-type any', 'a rule that matches nothing');
    return [firstFragment()];
  }
  const type = payload('icmp', 'type');
  if (!m.invert)
    return [
      match(type, '==', m.type),
      ...(allCodes ? [] : [match(payload('icmp', 'code'), '==', rangeOrValue(codeMin, codeMax))]),
    ];
  if (allCodes) return [match(type, '!=', m.type)];
  if (codeMin === codeMax)
    return [
      match(
        { concat: [type, payload('icmp', 'code')] },
        '!=',
        set([{ concat: [m.type, codeMin] }]),
      ),
    ];
  throw new UntranslatableError('icmp ! --icmp-type', 'an inverted type with a code range');
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug'];
const LOG_FLAGS: readonly [number, string][] = [
  [0x01, 'tcp sequence'],
  [0x02, 'tcp options'],
  [0x04, 'ip options'],
  [0x08, 'skuid'],
  [0x20, 'ether'],
];
/** The `IPT_LOG_*` flags nft's `log` carries (others, like `XT_LOG_NFLOG`, it drops). */
export const LOG_FLAG_BITS = LOG_FLAGS.reduce((all, [bit]) => all | bit, 0);

/** `--reject-with` -> the nft JSON statement. */
export const REJECT_STATEMENT: Record<string, NftExpr> = {
  'icmp-net-unreachable': { reject: { type: 'icmp', expr: 'net-unreachable' } },
  'icmp-host-unreachable': { reject: { type: 'icmp', expr: 'host-unreachable' } },
  'icmp-proto-unreachable': { reject: { type: 'icmp', expr: 'prot-unreachable' } },
  'icmp-port-unreachable': { reject: { type: 'icmp', expr: 'port-unreachable' } },
  'icmp-net-prohibited': { reject: { type: 'icmp', expr: 'net-prohibited' } },
  'icmp-host-prohibited': { reject: { type: 'icmp', expr: 'host-prohibited' } },
  'icmp-admin-prohibited': { reject: { type: 'icmp', expr: 'admin-prohibited' } },
  'tcp-reset': { reject: { type: 'tcp reset' } },
};

function translateTarget(target: Target): NftExpr[] {
  switch (target.kind) {
    case 'none':
      return [];
    case 'verdict':
      if (target.verdict === 'QUEUE') return [{ queue: { num: 0 } }];
      return [verdictStatement(target.verdict)];
    case 'jump':
    case 'goto':
      return [jumpStatement(target.kind, target.chain)];
    case 'reject': {
      const statement = REJECT_STATEMENT[target.with];
      if (statement === undefined)
        throw new UntranslatableError('-j REJECT', `--reject-with ${target.with}`);
      return [statement];
    }
    case 'log': {
      const flags = LOG_FLAGS.filter(([bit]) => target.flags & bit).map(([, name]) => name);
      const log: Record<string, unknown> = { level: LOG_LEVELS[target.level & 7] };
      if (target.prefix.length > 0) log.prefix = target.prefix;
      if (flags.length > 0) log.flags = flags;
      return [{ log }];
    }
    case 'raw':
      return translateRawTarget(target);
  }
}
