/**
 * One iptables rule (model form) written straight as the nf_tables expressions of one nft
 * rule, the ones nft compiles from translate-rule.ts's JSON for it: IP fields, tcp/udp/icmp,
 * conntrack state and address ranges, a counter, then the verdict, jump or reject. No JSON in
 * between. Anything else throws {@link NotCompiled}, and the whole table goes through
 * `nft -j -f` (which also names what nft cannot express at all).
 */
import { parseCidr, prefixLength } from '../model/address.js';
import type {
  IcmpMatch,
  IpInversions,
  Match,
  Rule,
  Target,
  TcpMatch,
  UdpMatch,
} from '../model/types.js';
import { IFNAMSIZ, NotCompiled } from './netlink-data.js';
import {
  bitwiseAt,
  bitwiseNumber,
  CmpOp,
  cmpAt,
  cmpBytes,
  cmpNumber,
  counter,
  ctState,
  FIELDS,
  type Field,
  inRange,
  META_IIFNAME,
  META_OIFNAME,
  metaName,
  payload,
  reject,
  verdict,
} from './netlink-expr.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { ctStateOf, ipRangesOf } from './raw-matches.js';

const NO_INVERSIONS: IpInversions = {};
const TCP = 6;
const UDP = 17;
const ICMP = 1;
/** `--reject-with` ICMP types -> the code nft's `reject with icmp type` sends. */
const REJECT_ICMP: Record<string, number> = {
  'icmp-net-unreachable': 0,
  'icmp-host-unreachable': 1,
  'icmp-proto-unreachable': 2,
  'icmp-port-unreachable': 3,
  'icmp-net-prohibited': 9,
  'icmp-host-prohibited': 10,
  'icmp-admin-prohibited': 13,
};

/**
 * Writes the expressions of `rule` (the NFTA_RULE_EXPRESSIONS list's elements): its matches,
 * a counter, its effect.
 */
export function writeRule(w: NetlinkWriter, rule: Rule): void {
  // The `ip protocol` matched (not inverted): the dependency of transport fields.
  const protocol = ipFields(w, rule);
  for (const m of rule.matches ?? []) writeMatch(w, m, protocol);
  counter(w);
  writeTarget(w, rule.target, protocol);
}

function ipFields(w: NetlinkWriter, rule: Rule): number | undefined {
  const invert = rule.invert ?? NO_INVERSIONS;
  if (rule.source !== undefined) address(w, FIELDS.saddr, rule.source, invert.source === true);
  if (rule.destination !== undefined)
    address(w, FIELDS.daddr, rule.destination, invert.destination === true);
  if (rule.inInterfaceMask !== undefined || rule.outInterfaceMask !== undefined)
    throw new NotCompiled('interface mask');
  if (rule.inInterface !== undefined)
    iface(w, META_IIFNAME, rule.inInterface, invert.inInterface === true);
  if (rule.outInterface !== undefined)
    iface(w, META_OIFNAME, rule.outInterface, invert.outInterface === true);
  let protocol: number | undefined;
  if (rule.protocol !== undefined && rule.protocol !== 0) {
    payload(w, FIELDS.protocol);
    cmpNumber(w, invert.protocol ? CmpOp.neq : CmpOp.eq, 1, rule.protocol);
    if (!invert.protocol) protocol = rule.protocol;
  } else if (invert.protocol) throw new NotCompiled('! -p all');
  // -f: second and later fragments (fragment offset not 0).
  if (rule.fragment) fragmentOffset(w, invert.fragment ? CmpOp.eq : CmpOp.neq);
  return protocol;
}

/** An address match: whole prefix bytes loaded alone, other prefixes and masks via bitwise. */
function address(w: NetlinkWriter, field: Field, cidr: string, inverted: boolean): void {
  const { address: value, mask } = parseCidr(cidr);
  if (mask === 0 && !inverted) return; // 0.0.0.0/0 matches every packet
  const op = inverted ? CmpOp.neq : CmpOp.eq;
  const network = (value & mask) >>> 0;
  const prefix = prefixLength(mask);
  if (prefix !== undefined && prefix > 0 && prefix < 32 && prefix % 8 === 0) {
    payload(w, { ...field, len: prefix / 8 });
    cmpNumber(w, op, prefix / 8, network >>> (32 - prefix));
    return;
  }
  payload(w, field);
  if (prefix !== 32) bitwiseNumber(w, 4, mask);
  cmpNumber(w, op, 4, network);
}

function iface(w: NetlinkWriter, key: number, name: string, inverted: boolean): void {
  // nft reads a trailing `*` as its wildcard and `\` as an escape (translate-rule.ts refuses).
  if (/[*\\]/.test(name)) throw new NotCompiled('interface name');
  const op = inverted ? CmpOp.neq : CmpOp.eq;
  metaName(w, key);
  if (name.endsWith('+')) {
    // A wildcard compares the name's first bytes only, without the NUL.
    const stem = Buffer.from(name.slice(0, -1));
    if (stem.length === 0 || stem.length >= IFNAMSIZ) throw new NotCompiled('ifname wildcard');
    cmpBytes(w, op, stem);
    return;
  }
  if (Buffer.byteLength(name) >= IFNAMSIZ) throw new NotCompiled('ifname');
  const at = cmpAt(w, op, IFNAMSIZ);
  w.buffer.write(name, at);
}

/** xt_tcp, xt_udp and icmp never match a later fragment: said when no field load says it. */
function fragmentOffset(w: NetlinkWriter, op: number): void {
  payload(w, FIELDS.fragOff);
  bitwiseNumber(w, 2, 0x1fff);
  cmpNumber(w, op, 2, 0);
}

function writeMatch(w: NetlinkWriter, m: Match, protocol: number | undefined): void {
  switch (m.kind) {
    case 'tcp': {
      const loaded = ports(w, TCP, m, protocol) + tcpFlags(w, m, protocol);
      if (loaded === 0) fragmentOffset(w, CmpOp.eq);
      return;
    }
    case 'udp':
      if (ports(w, UDP, m, protocol) === 0) fragmentOffset(w, CmpOp.eq);
      return;
    case 'icmp':
      return icmp(w, m, protocol);
    case 'raw': {
      if (m.name === 'comment') return;
      if (m.name === 'iprange') {
        for (const test of ipRangesOf(m.data, m.revision)) {
          payload(w, FIELDS[test.field]);
          inRange(w, !test.invert, 4, m.data, test.from, test.to);
        }
        return;
      }
      const state = ctStateOf(m);
      if (state === undefined) {
        if (m.name === 'conntrack') return;
        throw new NotCompiled(`-m ${m.name}`);
      }
      // The state register is in host order; exactly one of its bits is set per packet.
      ctState(w);
      const at = bitwiseAt(w, 4);
      w.buffer.writeUInt32LE(state.mask >>> 0, at);
      cmpAt(w, state.invert ? CmpOp.eq : CmpOp.neq, 4);
    }
  }
}

/** The port matches of `m`; how many were written. */
function ports(
  w: NetlinkWriter,
  required: number,
  m: TcpMatch | UdpMatch,
  protocol: number | undefined,
): number {
  return (
    port(w, FIELDS.sport, m.sourcePorts, m.invert?.sourcePorts === true, required, protocol) +
    port(
      w,
      FIELDS.dport,
      m.destinationPorts,
      m.invert?.destinationPorts === true,
      required,
      protocol,
    )
  );
}

const scratch = Buffer.alloc(4);

function port(
  w: NetlinkWriter,
  field: Field,
  range: [number, number] | undefined,
  inverted: boolean,
  required: number,
  protocol: number | undefined,
): number {
  if (range === undefined) return 0;
  const [min, max] = range;
  if (min === 0 && max === 65535 && !inverted) return 0;
  // Without `ip protocol P` first, nft would add its own dependency: leave that to nft.
  if (protocol !== required) throw new NotCompiled('transport field without its protocol');
  payload(w, field);
  if (min === max) cmpNumber(w, inverted ? CmpOp.neq : CmpOp.eq, 2, min);
  else {
    scratch.writeUInt16BE(min, 0);
    scratch.writeUInt16BE(max, 2);
    inRange(w, !inverted, 2, scratch, 0, 2);
  }
  return 1;
}

function tcpFlags(w: NetlinkWriter, m: TcpMatch, protocol: number | undefined): number {
  if (m.option !== undefined && m.option !== 0) throw new NotCompiled('tcp --tcp-option');
  const flags = m.flags;
  if (flags === undefined || (flags.mask === 0 && !m.invert?.flags)) return 0;
  if (protocol !== TCP) throw new NotCompiled('transport field without its protocol');
  payload(w, FIELDS.tcpFlags);
  bitwiseNumber(w, 1, flags.mask);
  cmpNumber(w, m.invert?.flags ? CmpOp.neq : CmpOp.eq, 1, flags.compare);
  return 1;
}

function icmp(w: NetlinkWriter, m: IcmpMatch, protocol: number | undefined): void {
  const [codeMin, codeMax] = m.code ?? [0, 255];
  const allCodes = codeMin === 0 && codeMax === 255;
  if (m.type === 255) {
    if (m.invert) throw new NotCompiled('icmp ! --icmp-type any');
    fragmentOffset(w, CmpOp.eq);
    return;
  }
  // An inverted type with codes is an anonymous set of type . code pairs: nft's job.
  if (m.invert && !allCodes) throw new NotCompiled('icmp ! --icmp-type with a code');
  if (protocol !== ICMP) throw new NotCompiled('transport field without its protocol');
  payload(w, FIELDS.icmpType);
  cmpNumber(w, m.invert ? CmpOp.neq : CmpOp.eq, 1, m.type);
  if (allCodes) return;
  payload(w, FIELDS.icmpCode);
  if (codeMin === codeMax) cmpNumber(w, CmpOp.eq, 1, codeMin);
  else {
    scratch[0] = codeMin;
    scratch[1] = codeMax;
    inRange(w, true, 1, scratch, 0, 1);
  }
}

function writeTarget(w: NetlinkWriter, target: Target, protocol: number | undefined): void {
  switch (target.kind) {
    case 'none':
      return;
    case 'verdict':
      if (target.verdict === 'QUEUE') throw new NotCompiled('queue');
      return verdict(w, VERDICT_CODES[target.verdict]);
    case 'jump':
    case 'goto':
      return verdict(w, target.kind, target.chain);
    case 'reject': {
      if (target.with === 'tcp-reset') {
        if (protocol !== TCP) throw new NotCompiled('reject');
        return reject(w, 1, 0);
      }
      const code = REJECT_ICMP[target.with];
      if (code === undefined) throw new NotCompiled('reject code');
      return reject(w, 0, code);
    }
    default:
      throw new NotCompiled(target.kind);
  }
}

const VERDICT_CODES = { ACCEPT: 'accept', DROP: 'drop', RETURN: 'return' } as const;
