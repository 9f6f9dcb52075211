/**
 * The matches of an iptables rule, read from its entry in place, written as nf_tables
 * expressions (netlink-rule.ts writes the rest of the rule): tcp/udp ports and flags, icmp,
 * conntrack state, address ranges, the packet extensions (netlink-packet.ts); comments
 * write nothing. A match the compiler does not
 * cover throws {@link NotCompiled}.
 */
import {
  IPT_ICMP_INV,
  readU16,
  XT_TCP_INV_DSTPT,
  XT_TCP_INV_FLAGS,
  XT_TCP_INV_SRCPT,
} from '../abi/index.js';
import { objectData, objectName } from '../model/entry-index.js';
import { NotCompiled } from './netlink-data.js';
import {
  bitwiseAt,
  bitwiseNumber,
  CmpOp,
  cmpAt,
  cmpNumber,
  ctLoad,
  FIELDS,
  type Field,
  inRange,
  payload,
} from './netlink-expr.js';
import { writePacketExtension } from './netlink-packet.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { ctAlternatives } from './ct-alternatives.js';
import { ctStateOf, ipRangesOf } from './raw-matches.js';

export const TCP = 6;
const UDP = 17;
const ICMP = 1;

/** xt_tcp, xt_udp and icmp never match a later fragment: said when no field load says it. */
export function fragmentOffset(w: NetlinkWriter, op: number): void {
  payload(w, FIELDS.fragOff);
  bitwiseNumber(w, 2, 0x1fff);
  cmpNumber(w, op, 2, 0);
}

/** What a match's header says it is, if the model decodes it field by field. */
function knownKind(b: Uint8Array, pos: number, name: string): number {
  if (b[pos + 31] !== 0) return 0;
  // objectData's length, without the view.
  const size = Math.max(0, Math.min(pos + Math.max(readU16(b, pos), 32), b.length) - (pos + 32));
  if ((name === 'tcp' || name === 'udp') && size === 16) return name === 'tcp' ? TCP : UDP;
  return name === 'icmp' && size === 8 ? ICMP : 0;
}

/**
 * The match at `pos` (xt_entry_match); `alternative`: which of the nft rules of a conntrack
 * test that takes several (ct-alternatives.ts) this one is.
 */
export function writeMatch(
  w: NetlinkWriter,
  b: Uint8Array,
  pos: number,
  protocol: number,
  alternative = 0,
): void {
  const name = objectName(b, pos);
  const d = pos + 32;
  switch (knownKind(b, pos, name)) {
    case TCP: {
      const inv = b[d + 11]!;
      const loaded = ports(w, TCP, b, d, inv, protocol) + tcpFlags(w, b, d, inv, protocol);
      if (loaded === 0) fragmentOffset(w, CmpOp.eq);
      return;
    }
    case UDP:
      if (ports(w, UDP, b, d, b[d + 8]!, protocol) === 0) fragmentOffset(w, CmpOp.eq);
      return;
    case ICMP:
      return icmp(w, b[d]!, b[d + 1]!, b[d + 2]!, (b[d + 3]! & IPT_ICMP_INV) !== 0, protocol);
  }
  if (name === 'comment') return;
  const data = objectData(b, pos);
  const revision = b[pos + 31]!;
  if (name === 'iprange') {
    for (const test of ipRangesOf(data, revision)) {
      payload(w, FIELDS[test.field]);
      inRange(w, !test.invert, 4, data, test.from, test.to);
    }
    return;
  }
  if (writePacketExtension('match', w, name, data, revision, protocol)) return;
  const state = ctStateOf({ kind: 'raw', name, revision, data });
  if (state === undefined) {
    if (name === 'conntrack') return;
    throw new NotCompiled(`-m ${name}`);
  }
  const alternatives = ctAlternatives(state);
  // The registers are in host order; exactly one state bit is set per packet.
  for (const { key, mask, zero } of alternatives[alternatives.length > 1 ? alternative : 0]!) {
    ctLoad(w, key);
    const at = bitwiseAt(w, 4);
    w.buffer.writeUInt32LE(mask >>> 0, at);
    cmpAt(w, zero ? CmpOp.eq : CmpOp.neq, 4);
  }
}

/** Both ports of the transport header (source, then destination), 4 bytes. */
const PORT_PAIR: Field = { base: 2, offset: 0, len: 4 };

/** The port matches of the tcp or udp data at `d` (`inv`: its invflags); how many were written. */
function ports(
  w: NetlinkWriter,
  required: number,
  b: Uint8Array,
  d: number,
  inv: number,
  protocol: number,
): number {
  const source = readU16(b, d);
  const destination = readU16(b, d + 4);
  if (
    source === readU16(b, d + 2) &&
    destination === readU16(b, d + 6) &&
    (inv & (XT_TCP_INV_SRCPT | XT_TCP_INV_DSTPT)) === 0
  ) {
    // One port each, neither inverted: one load of both and one compare, as nft writes
    // `tcp sport A tcp dport B` (it merges adjacent exact loads of up to 4 bytes).
    if (protocol !== required) throw new NotCompiled('transport field without its protocol');
    payload(w, PORT_PAIR);
    cmpNumber(w, CmpOp.eq, 4, source * 0x10000 + destination);
    return 2;
  }
  return (
    port(w, FIELDS.sport, b, d, (inv & XT_TCP_INV_SRCPT) !== 0, required, protocol) +
    port(w, FIELDS.dport, b, d + 4, (inv & XT_TCP_INV_DSTPT) !== 0, required, protocol)
  );
}

const scratch = Buffer.alloc(4);

/** The port range at `at` (host-order u16 min, max). */
function port(
  w: NetlinkWriter,
  field: Field,
  b: Uint8Array,
  at: number,
  inverted: boolean,
  required: number,
  protocol: number,
): number {
  const min = readU16(b, at);
  const max = readU16(b, at + 2);
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

function tcpFlags(
  w: NetlinkWriter,
  b: Uint8Array,
  d: number,
  inv: number,
  protocol: number,
): number {
  if (b[d + 8] !== 0) throw new NotCompiled('tcp --tcp-option');
  const mask = b[d + 9]!;
  const inverted = (inv & XT_TCP_INV_FLAGS) !== 0;
  if (mask === 0 && !inverted) return 0;
  if (protocol !== TCP) throw new NotCompiled('transport field without its protocol');
  payload(w, FIELDS.tcpFlags);
  bitwiseNumber(w, 1, mask);
  cmpNumber(w, inverted ? CmpOp.neq : CmpOp.eq, 1, b[d + 10]!);
  return 1;
}

function icmp(
  w: NetlinkWriter,
  type: number,
  codeMin: number,
  codeMax: number,
  inverted: boolean,
  protocol: number,
): void {
  const allCodes = codeMin === 0 && codeMax === 255;
  if (type === 255) {
    if (inverted) throw new NotCompiled('icmp ! --icmp-type any');
    fragmentOffset(w, CmpOp.eq);
    return;
  }
  // An inverted type with codes is an anonymous set of type . code pairs: nft's job.
  if (inverted && !allCodes) throw new NotCompiled('icmp ! --icmp-type with a code');
  if (protocol !== ICMP) throw new NotCompiled('transport field without its protocol');
  payload(w, FIELDS.icmpType);
  cmpNumber(w, inverted ? CmpOp.neq : CmpOp.eq, 1, type);
  if (allCodes) return;
  payload(w, FIELDS.icmpCode);
  if (codeMin === codeMax) cmpNumber(w, CmpOp.eq, 1, codeMin);
  else {
    scratch[0] = codeMin;
    scratch[1] = codeMax;
    inRange(w, true, 1, scratch, 0, 1);
  }
}
