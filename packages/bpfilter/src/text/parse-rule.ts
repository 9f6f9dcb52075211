/**
 * One rule's arguments (what follows `-A CHAIN` in iptables-save output) -> the model's
 * {@link Rule}, for the extensions bpfilter understands. Unknown options are errors: a
 * rule is never silently read as something it does not say.
 */
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, IPT_LOG_PREFIX_SIZE } from '../abi/index.js';
import { formatCidr, parseCidr } from '../model/address.js';
import type { Counters, IcmpMatch, Match, Rule, TcpMatch, UdpMatch } from '../model/types.js';
import { parseIcmpType } from './icmp-types.js';
import { LOG_FLAG_OPTIONS, parseLogLevel } from './log-options.js';
import { parsePortRange } from './ports.js';
import { parseProtocol } from './protocols.js';
import { logTarget, parseRejectWith, parseTarget } from './rule-targets.js';
import { parseTcpFlags, SYN_ONLY } from './tcp-flags.js';

/** Parses rule arguments into a rule (`counters` from a leading `[p:b]` are passed in). */
export function parseRuleArgs(args: readonly string[], counters?: Counters): Rule {
  const rule: Partial<Rule> & { invert: NonNullable<Rule['invert']>; matches: Match[] } = {
    invert: {},
    matches: [],
  };
  let inverted = false;
  let current: Match | undefined;
  let i = 0;
  const value = (option: string): string => {
    const next = args[++i];
    if (next === undefined) throw new SyntaxError(`${option} needs a value`);
    return next;
  };
  const takeInvert = (): boolean => {
    const was = inverted;
    inverted = false;
    return was;
  };
  const protoMatch = (option: string): Match => {
    if (current && current.kind !== 'raw') return current;
    // Like iptables: an option of the rule's protocol loads that protocol's match implicitly.
    const kind =
      rule.protocol === IPPROTO_TCP
        ? 'tcp'
        : rule.protocol === IPPROTO_UDP
          ? 'udp'
          : rule.protocol === IPPROTO_ICMP
            ? 'icmp'
            : undefined;
    if (kind === undefined || rule.invert.protocol)
      throw new SyntaxError(`${option} needs -p tcp, udp or icmp (or -m tcp|udp|icmp)`);
    const existing = rule.matches.find((m) => m.kind === kind);
    current = existing ?? newMatch(kind);
    if (!existing) rule.matches.push(current);
    return current;
  };

  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '!') {
      if (inverted) throw new SyntaxError('"!" twice');
      inverted = true;
      continue;
    }
    switch (arg) {
      case '-s':
      case '--source':
      case '--src':
        rule.source = cidr(value(arg));
        rule.invert.source = takeInvert();
        break;
      case '-d':
      case '--destination':
      case '--dst':
        rule.destination = cidr(value(arg));
        rule.invert.destination = takeInvert();
        break;
      case '-i':
      case '--in-interface':
        rule.inInterface = iface(value(arg));
        rule.invert.inInterface = takeInvert();
        break;
      case '-o':
      case '--out-interface':
        rule.outInterface = iface(value(arg));
        rule.invert.outInterface = takeInvert();
        break;
      case '-p':
      case '--protocol':
        rule.protocol = parseProtocol(value(arg));
        rule.invert.protocol = takeInvert();
        break;
      case '-f':
      case '--fragment':
        rule.fragment = true;
        rule.invert.fragment = takeInvert();
        break;
      case '-m':
      case '--match': {
        if (inverted) throw new SyntaxError('"!" cannot negate -m');
        const name = value(arg);
        if (name !== 'tcp' && name !== 'udp' && name !== 'icmp')
          throw new SyntaxError(
            `match "${name}" is not supported by bpfilter's text format (supported: tcp, udp, icmp)`,
          );
        current = newMatch(name);
        rule.matches.push(current);
        break;
      }
      case '--sport':
      case '--source-port':
      case '--dport':
      case '--destination-port': {
        const match = protoMatch(arg);
        if (match.kind !== 'tcp' && match.kind !== 'udp')
          throw new SyntaxError(`${arg} is not an option of -m ${match.kind}`);
        const range = parsePortRange(value(arg));
        const key =
          arg === '--sport' || arg === '--source-port' ? 'sourcePorts' : 'destinationPorts';
        match[key] = range;
        if (takeInvert()) match.invert = { ...match.invert, [key]: true };
        break;
      }
      case '--tcp-flags':
      case '--syn': {
        const match = protoMatch(arg);
        if (match.kind !== 'tcp')
          throw new SyntaxError(`${arg} is not an option of -m ${match.kind}`);
        match.flags =
          arg === '--syn'
            ? { ...SYN_ONLY }
            : { mask: parseTcpFlags(value(arg)), compare: parseTcpFlags(value(arg)) };
        if (takeInvert()) match.invert = { ...match.invert, flags: true };
        break;
      }
      case '--tcp-option': {
        const match = protoMatch(arg);
        if (match.kind !== 'tcp')
          throw new SyntaxError(`${arg} is not an option of -m ${match.kind}`);
        const option = Number(value(arg));
        if (!Number.isInteger(option) || option < 0 || option > 255)
          throw new SyntaxError(`invalid --tcp-option "${args[i]}"`);
        match.option = option;
        if (takeInvert()) match.invert = { ...match.invert, option: true };
        break;
      }
      case '--icmp-type': {
        const match = protoMatch(arg);
        if (match.kind !== 'icmp')
          throw new SyntaxError(`${arg} is not an option of -m ${match.kind}`);
        const spec = parseIcmpType(value(arg));
        match.type = spec.type;
        match.code = [spec.codeMin, spec.codeMax];
        match.invert = takeInvert();
        break;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto':
        if (inverted) throw new SyntaxError(`"!" cannot negate ${arg}`);
        if (rule.target) throw new SyntaxError('more than one target');
        rule.target = parseTarget(value(arg), arg === '-g' || arg === '--goto');
        current = undefined;
        break;
      case '--reject-with': {
        if (rule.target?.kind !== 'reject') throw new SyntaxError('--reject-with needs -j REJECT');
        rule.target.with = parseRejectWith(value(arg));
        break;
      }
      case '--log-prefix':
      case '--log-level': {
        const target = logTarget(rule.target, arg);
        if (arg === '--log-level') target.level = parseLogLevel(value(arg));
        else {
          const prefix = value(arg);
          if (prefix.length > IPT_LOG_PREFIX_SIZE - 1)
            throw new SyntaxError(
              `--log-prefix is longer than ${IPT_LOG_PREFIX_SIZE - 1} characters`,
            );
          target.prefix = prefix;
        }
        break;
      }
      case '-c':
      case '--set-counters': {
        const packets = value(arg);
        const bytes = value(arg);
        counters = { packets: counter(packets), bytes: counter(bytes) };
        break;
      }
      default: {
        const flag = LOG_FLAG_OPTIONS.find(([option]) => option === arg);
        if (flag) {
          logTarget(rule.target, arg).flags |= flag[1];
          break;
        }
        throw new SyntaxError(`unknown option "${arg}"`);
      }
    }
    if (inverted && args[i] !== '!') throw new SyntaxError(`"!" cannot negate ${arg}`);
  }
  if (inverted) throw new SyntaxError('"!" at the end of the rule');
  // No -j or -g: a rule that only counts (iptables-save prints it so).
  rule.target ??= { kind: 'none' };
  for (const match of rule.matches) checkMatchProtocol(match, rule);
  return compact(rule as Rule, counters);
}

function newMatch(kind: 'tcp' | 'udp' | 'icmp'): TcpMatch | UdpMatch | IcmpMatch {
  return kind === 'icmp' ? { kind, type: 0xff, code: [0, 0xff] } : { kind };
}

function checkMatchProtocol(match: Match, rule: Partial<Rule>): void {
  const wanted =
    match.kind === 'tcp'
      ? IPPROTO_TCP
      : match.kind === 'udp'
        ? IPPROTO_UDP
        : match.kind === 'icmp'
          ? IPPROTO_ICMP
          : undefined;
  if (wanted !== undefined && (rule.protocol !== wanted || rule.invert?.protocol)) {
    throw new SyntaxError(`-m ${match.kind} needs -p ${match.kind} (not inverted)`);
  }
}

/** Address as iptables stores it: masked, in `addr/prefix` form. */
function cidr(text: string): string {
  try {
    const { address, mask } = parseCidr(text);
    return formatCidr((address & mask) >>> 0, mask);
  } catch {
    throw new SyntaxError(
      `invalid address "${text}" (expected A.B.C.D, A.B.C.D/N or A.B.C.D/M.M.M.M; host names are not resolved)`,
    );
  }
}

function iface(name: string): string {
  if (name.length === 0 || name.length > 15)
    throw new SyntaxError(`invalid interface name "${name}"`);
  return name;
}

function counter(text: string): bigint {
  if (!/^\d+$/.test(text)) throw new SyntaxError(`invalid counter "${text}"`);
  return BigInt(text);
}

/** Drops empty inversion flags and match lists, so parsed rules compare equal to decoded ones. */
function compact(rule: Rule, counters: Counters | undefined): Rule {
  const out: Rule = { ...rule };
  const invert = Object.fromEntries(Object.entries(rule.invert ?? {}).filter(([, v]) => v));
  if (Object.keys(invert).length > 0) out.invert = invert;
  else delete out.invert;
  if (!rule.matches?.length) delete out.matches;
  if (counters) out.counters = counters;
  return out;
}
