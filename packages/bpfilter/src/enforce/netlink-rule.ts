/**
 * One iptables rule, read from its entry in place (its `ipt_ip`, matches and target), written
 * straight as the nf_tables expressions of one nft rule, the ones nft compiles from
 * translate-rule.ts's JSON for it: IP fields, the matches (netlink-match.ts), a counter, then
 * the verdict, jump, reject, or a packet extension's or nat target's statement
 * (netlink-packet.ts, netlink-nat.ts). No rule object or JSON in between. Anything else
 * throws {@link NotCompiled}, and the whole table goes through `nft -j -f` (which also names
 * what nft cannot express at all).
 */
import {
  IPT_ENTRY_SIZE,
  IPT_F_FRAG,
  IPT_INV_DSTIP,
  IPT_INV_FRAG,
  IPT_INV_PROTO,
  IPT_INV_SRCIP,
  IPT_INV_VIA_IN,
  IPT_INV_VIA_OUT,
  IptEntryOffset,
  readU16,
  readIpv4Value,
} from '../abi/index.js';
import { objectData, objectName, objectRevision, targetAt } from '../model/entry-index.js';
import { prefixLength } from '../model/address.js';
import { IFNAMSIZ, ifnameBytes, NotCompiled } from './netlink-data.js';
import {
  bitwiseNumber,
  CmpOp,
  cmpAt,
  cmpBytes,
  cmpNumber,
  counter,
  FIELDS,
  type Field,
  META_IIFNAME,
  META_OIFNAME,
  metaName,
  payload,
  reject,
  verdict,
} from './netlink-expr.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { type Compat, nativeOrCompat, writeQueue } from './netlink-compat.js';
import { fragmentOffset, TCP, writeMatch } from './netlink-match.js';
import { writePacketExtension, writeTtlStep } from './netlink-packet.js';
import { writeTproxyRule } from './netlink-steering.js';
import { REJECT_ICMP, rejectWith } from './reject-chains.js';
import { jumpChain, type RuleFacts, Target } from './rule-facts.js';
import { ctSplit } from './rule-split.js';
import { ttlSteps } from './ttl-steps.js';

/**
 * Writes the expressions of entry `entry` of `f` (the NFTA_RULE_EXPRESSIONS list's
 * elements): its matches, a counter, its effect. `alternative`: which of the nft rules of an
 * entry that takes several (rule-split.ts) this one is. `compat`: where a match or target
 * this compiler does not write may go to nft_compat (netlink-compat.ts).
 */
export function writeRule(
  w: NetlinkWriter,
  f: RuleFacts,
  entry: number,
  alternative = 0,
  compat?: Compat,
): void {
  const b = f.bytes;
  const at = f.offsets[entry]!;
  // The `ip protocol` matched (not inverted): the dependency of transport fields.
  const protocol = ipFields(w, f, entry);
  const target = targetAt(b, at);
  // Several split conntrack tests: `alternative` holds one digit for each (rule-split.ts).
  let radix = 1;
  for (let pos = at + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos)) {
    const split = ctSplit(b, pos);
    const digit = Math.floor(alternative / radix) % split;
    radix *= split;
    const match = () => writeMatch(w, b, pos, protocol, digit);
    if (compat === undefined) match();
    else nativeOrCompat(w, compat, 'match', b, pos, match);
  }
  const targetName = objectName(b, target);
  const steps =
    targetName === 'TTL' ? ttlSteps(objectData(b, target), objectRevision(b, target)) : undefined;
  if (steps !== undefined) return writeTtlStep(w, steps[alternative]!);
  if (targetName === 'TPROXY') {
    const tproxy = () =>
      writeTproxyRule(w, objectData(b, target), objectRevision(b, target), alternative);
    return compat === undefined ? tproxy() : nativeOrCompat(w, compat, 'target', b, target, tproxy);
  }
  counter(w);
  if (f.target[entry] === Target.queue && compat !== undefined) return writeQueue(w, compat);
  writeEffect(w, f, entry, protocol, compat);
}

/**
 * The effect of entry `entry` alone, without its matches or counter (`protocol`: the one
 * its rule matches): a counted set's rule writes its members' one target after the lookup.
 */
export function writeEffect(
  w: NetlinkWriter,
  f: RuleFacts,
  entry: number,
  protocol: number,
  compat?: Compat,
): void {
  const target = targetAt(f.bytes, f.offsets[entry]!);
  const effect = () => writeTarget(w, f, entry, target, protocol);
  if (compat === undefined) effect();
  else nativeOrCompat(w, compat, 'target', f.bytes, target, effect);
}

function ipFields(w: NetlinkWriter, f: RuleFacts, entry: number): number {
  const b = f.bytes;
  const at = f.offsets[entry]!;
  const inv = b[at + IptEntryOffset.invflags]!;
  if (!addressPair(w, b, at, inv)) {
    address(
      w,
      FIELDS.saddr,
      b,
      at + IptEntryOffset.src,
      at + IptEntryOffset.smsk,
      inv & IPT_INV_SRCIP,
    );
    address(
      w,
      FIELDS.daddr,
      b,
      at + IptEntryOffset.dst,
      at + IptEntryOffset.dmsk,
      inv & IPT_INV_DSTIP,
    );
  }
  if (f.maskDiffers[entry] !== 0) throw new NotCompiled('interface mask');
  iface(w, META_IIFNAME, f.inName[entry]!, (inv & IPT_INV_VIA_IN) !== 0);
  iface(w, META_OIFNAME, f.outName[entry]!, (inv & IPT_INV_VIA_OUT) !== 0);
  let protocol = 0;
  const proto = readU16(b, at + IptEntryOffset.proto);
  const inverted = (inv & IPT_INV_PROTO) !== 0;
  if (proto !== 0) {
    payload(w, FIELDS.protocol);
    cmpNumber(w, inverted ? CmpOp.neq : CmpOp.eq, 1, proto);
    if (!inverted) protocol = proto;
  } else if (inverted) throw new NotCompiled('! -p all');
  // -f: second and later fragments (fragment offset not 0).
  if (b[at + IptEntryOffset.flags]! & IPT_F_FRAG)
    fragmentOffset(w, inv & IPT_INV_FRAG ? CmpOp.eq : CmpOp.neq);
  return protocol;
}

/** Both addresses of the `ip` header (source, then destination: 8 bytes from offset 12). */
const ADDRESS_PAIR: Field = { base: 1, offset: 12, len: 8 };

/**
 * `-s A/32 -d B/32`, neither inverted: one load of both addresses and one compare, where nft
 * writes two of each; the kernel's cost of a rule is mostly per expression, and nft lists the
 * pair as the two matches it writes (`ip saddr A ip daddr B`). Whether it wrote them.
 */
function addressPair(w: NetlinkWriter, b: Uint8Array, at: number, inv: number): boolean {
  const whole = 0xffffffff;
  if (
    (inv & (IPT_INV_SRCIP | IPT_INV_DSTIP)) !== 0 ||
    readIpv4Value(b, at + IptEntryOffset.smsk) !== whole ||
    readIpv4Value(b, at + IptEntryOffset.dmsk) !== whole
  )
    return false;
  payload(w, ADDRESS_PAIR);
  const value = cmpAt(w, CmpOp.eq, 8);
  const out = w.buffer;
  // Byte by byte: a view of each address would be an object per rule.
  for (let k = 0; k < 4; k++) {
    out[value + k] = b[at + IptEntryOffset.src + k]!;
    out[value + 4 + k] = b[at + IptEntryOffset.dst + k]!;
  }
  return true;
}

/**
 * An address match (the address and mask at `addressAt`, `maskAt`): whole prefix bytes
 * loaded alone, other prefixes and masks via bitwise.
 */
function address(
  w: NetlinkWriter,
  field: Field,
  b: Uint8Array,
  addressAt: number,
  maskAt: number,
  invert: number,
): void {
  const value = readIpv4Value(b, addressAt);
  const mask = readIpv4Value(b, maskAt);
  const inverted = invert !== 0;
  if (mask === 0 && !inverted) return; // 0.0.0.0/0 (or no address) matches every packet
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
  // No name, or `-i +` (no byte of the name compared): every packet.
  if ((name === '' || name === '+') && !inverted) return;
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
  const bytes = ifnameBytes(name);
  if (bytes.length >= IFNAMSIZ) throw new NotCompiled('ifname');
  const at = cmpAt(w, op, IFNAMSIZ);
  w.buffer.set(bytes, at);
}

/** The target of entry `entry` (at byte `target`). */
function writeTarget(
  w: NetlinkWriter,
  f: RuleFacts,
  entry: number,
  target: number,
  protocol: number,
): void {
  switch (f.target[entry]) {
    case Target.none:
      return;
    case Target.accept:
      return verdict(w, 'accept');
    case Target.drop:
      return verdict(w, 'drop');
    case Target.return:
      return verdict(w, 'return');
    case Target.jump:
      return verdict(w, 'jump', jumpChain(f, entry));
    case Target.goto:
      return verdict(w, 'goto', jumpChain(f, entry));
  }
  const b = f.bytes;
  const name = objectName(b, target);
  const revision = objectRevision(b, target);
  if (writePacketExtension('target', w, name, objectData(b, target), revision, protocol)) return;
  const withName = rejectWith(b, target);
  if (withName === undefined) throw new NotCompiled('target');
  if (withName === 'tcp-reset') {
    if (protocol !== TCP) throw new NotCompiled('reject');
    return reject(w, 1, 0);
  }
  const code = REJECT_ICMP[withName];
  if (code === undefined) throw new NotCompiled('reject code');
  return reject(w, 0, code);
}
