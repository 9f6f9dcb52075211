/**
 * The extensions xt-steering.ts reads, written as the nf_tables expressions nft installs for
 * the same rules (`nft --debug=netlink` of each): `-m mark` (`meta mark & M == V`), `-m
 * multiport` (`th dport { ... }`, its set from netlink-anon-sets.ts), `-m addrtype` (`fib daddr
 * type { ... }`), `-m rpfilter` (`fib saddr . mark . iif oif 0`); `-j MARK` (`meta mark set meta mark & ~M ^ V`), `-j CT`/`NOTRACK` (`notrack`,
 * `ct [original|reply] zone set Z`) and `-j TOS` (the 16-bit word the TOS byte is in,
 * rewritten with the checksum fixed, as nft writes `ip dscp set`).
 */
import { NotCompiled } from './netlink-data.js';
import {
  beginExpr,
  CmpOp,
  cmpNumber,
  counter,
  endExpr,
  inRange,
  payload,
  REG_1,
  verdict,
} from './netlink-expr.js';
import {
  cmpHost,
  immediateAt,
  MetaKey,
  type PacketWriter,
  maskedHost,
  maskXorAt,
  metaOrCt,
  networkWrite,
  payloadWrite,
  rewriteWord,
} from './netlink-expr-packet.js';
import { lookupRuleSet } from './netlink-anon-sets.js';
import type { NetlinkWriter } from './netlink-writer.js';
import { rpfilterOf } from './xt-rpfilter.js';
import {
  addrtypeOf,
  ctTargetOf,
  ecnOf,
  markOf,
  markTargetOf,
  multiportOf,
  tcpoptstripOf,
  tosTargetOf,
  tproxyOf,
} from './xt-steering.js';

// include/uapi/linux/netfilter/nf_tables.h
const NFT_CT_ZONE = 17;
const NFT_EXTHDR_OP_TCPOPT = 1;
const TCP = 6;
const NFT_FIB_RESULT_OIF = 1;
const NFT_FIB_RESULT_ADDRTYPE = 3;
const FIB_FLAGS = { saddr: 1, daddr: 2, mark: 4, iif: 8 };
const PORT_OFFSET = { sport: 0, dport: 2 };
const scratch = Buffer.alloc(4);

/** The match writers of this module, by extension name. */
export const STEERING_MATCHES: [string, PacketWriter][] = [
  [
    'mark',
    (w, d, r) => {
      const { mask, value, invert } = markOf(d, r);
      metaOrCt(w, 'meta', MetaKey.mark, 'load');
      maskedHost(w, mask, value, invert);
    },
  ],
  [
    'multiport',
    (w, d, r, protocol) => {
      const { field, ports, invert } = multiportOf(d, r);
      // xt_multiport needs the rule's -p (the handler checks it); nft's `th` needs none.
      if (protocol === 0) throw new NotCompiled('transport field without its protocol');
      payload(w, { base: 2, offset: PORT_OFFSET[field], len: 2 });
      if (ports.length > 1) return lookupRuleSet(w, invert);
      const [from, to] = ports[0]!;
      if (from === to) return cmpNumber(w, invert ? CmpOp.neq : CmpOp.eq, 2, from);
      scratch.writeUInt16BE(from, 0);
      scratch.writeUInt16BE(to, 2);
      inRange(w, !invert, 2, scratch, 0, 2);
    },
  ],
  [
    'addrtype',
    (w, d, r) => {
      for (const { key, types, invert } of addrtypeOf(d, r)) {
        const e = beginExpr(w, 'fib');
        w.u32(3, FIB_FLAGS[key]);
        w.u32(2, NFT_FIB_RESULT_ADDRTYPE);
        w.u32(1, REG_1);
        endExpr(w, e);
        if (types.length > 1) lookupRuleSet(w, invert);
        else cmpHost(w, invert ? CmpOp.neq : CmpOp.eq, types[0]!);
      }
    },
  ],
  [
    'rpfilter',
    (w, d, r) => {
      const { mark, iif, invert } = rpfilterOf(d, r);
      const e = beginExpr(w, 'fib');
      w.u32(3, FIB_FLAGS.saddr | (mark ? FIB_FLAGS.mark : 0) | (iif ? FIB_FLAGS.iif : 0));
      w.u32(2, NFT_FIB_RESULT_OIF);
      w.u32(1, REG_1);
      endExpr(w, e);
      // The interface index of the route back, 0 for none: xt_rpfilter's match is "not 0".
      cmpNumber(w, invert ? CmpOp.eq : CmpOp.neq, 4, 0);
    },
  ],
];

const ct: PacketWriter = (w, d, r) => {
  const action = ctTargetOf(d, r, 'CT');
  if (action.kind === 'notrack') return endExpr(w, beginExpr(w, 'notrack'));
  const at = immediateAt(w, 2);
  w.buffer.writeUInt16LE(action.zone, at);
  const e = beginExpr(w, 'ct');
  w.u32(2, NFT_CT_ZONE);
  if (action.dir !== undefined) w.u8(3, action.dir);
  w.u32(4, REG_1);
  endExpr(w, e);
};

/** `bitwise` of the 16-bit register 1: `(reg & mask) ^ xor`. */
function maskXor(w: NetlinkWriter, mask: number, xor: number): void {
  const [m, x] = maskXorAt(w, 2);
  w.buffer.writeUInt16BE(mask, m);
  w.buffer.writeUInt16BE(xor, x);
}

/** The target writers of this module, by extension name. */
export const STEERING_TARGETS: [string, PacketWriter][] = [
  [
    'MARK',
    (w, d, r) => {
      const { keep, value } = markTargetOf(d, r);
      markSet(w, keep, value);
    },
  ],
  ['CT', ct],
  ['NOTRACK', (w) => endExpr(w, beginExpr(w, 'notrack'))],
  [
    'ECN',
    (w, d, r, protocol) => {
      const { ect, tcp } = ecnOf(d, r);
      // The ECN field: the low two bits of the word at 0, as nft writes `ip ecn set`.
      if (ect !== undefined) rewriteWord(w, 0, 0xfffc, ect);
      if (tcp === undefined) return;
      // xt_ECN's checkentry wants -p tcp for these; the TCP checksum is at 16.
      if (protocol !== TCP) throw new NotCompiled('ECN TCP flags without -p tcp');
      payload(w, { base: 2, offset: 12, len: 2 });
      maskXor(w, tcp.keep, tcp.value);
      payloadWrite(w, 2, 12, 2, 16);
    },
  ],
  [
    'TCPOPTSTRIP',
    (w, d, r, protocol) => {
      const kinds = tcpoptstripOf(d, r);
      // xt_TCPOPTSTRIP is bound to -p tcp (the handler checks it); nft's reset needs no dependency.
      if (protocol !== TCP) throw new NotCompiled('TCPOPTSTRIP without -p tcp');
      // `reset tcp option KIND`: the option's bytes become NOPs, the checksum fixed.
      for (const kind of kinds) {
        const e = beginExpr(w, 'exthdr');
        w.u8(2, kind);
        w.u32(6, NFT_EXTHDR_OP_TCPOPT);
        endExpr(w, e);
      }
    },
  ],
  [
    'TOS',
    (w, d, r) => {
      const { keep, value } = tosTargetOf(d, r);
      // The TOS byte is the low byte of the word at 0; the version and header length kept.
      if (keep !== 0) return rewriteWord(w, 0, 0xff00 | keep, value);
      // A whole new TOS byte: nft 1.0.6 lists `& 0xff00 ^ V` in one bitwise as a write of one
      // byte and then corrupts its heap (`nft list ruleset` aborts: malloc(): unaligned tcache
      // chunk); the same rewrite in two steps lists as `@nh,0,16 set @nh,0,16 & 0xff00 ^ V`.
      payload(w, { base: 1, offset: 0, len: 2 });
      maskXor(w, 0xff00, 0);
      maskXor(w, 0xffff, value);
      networkWrite(w, 0, 2);
    },
  ],
];

// include/uapi/linux/netfilter/nf_tables.h: NFTA_TPROXY_*, NFPROTO_IPV4
const TPROXY = { family: 1, regAddr: 2, regPort: 3 };
const NFPROTO_IPV4 = 2;

/** `meta mark set meta mark & keep ^ value`. */
function markSet(w: NetlinkWriter, keep: number, value: number): void {
  metaOrCt(w, 'meta', MetaKey.mark, 'load');
  const [mask, xor] = maskXorAt(w, 4);
  w.buffer.writeUInt32LE(keep, mask);
  w.buffer.writeUInt32LE(value, xor);
  metaOrCt(w, 'meta', MetaKey.mark, 'set');
}

/**
 * Rule `alternative` of the two of a `-j TPROXY` entry, after its matches: `tproxy to A:P
 * counter meta mark set ... accept` (the counter after `tproxy`, which ends the rule when no
 * transparent socket takes the packet), then `counter drop` for those, as xt_TPROXY drops them.
 */
export function writeTproxyRule(
  w: NetlinkWriter,
  data: Uint8Array,
  revision: number,
  alternative: number,
): void {
  const { addr, port, mark } = tproxyOf(data, revision);
  if (alternative === 1) {
    counter(w);
    return verdict(w, 'drop');
  }
  let reg = REG_1;
  const regs: [number, number][] = [];
  if (addr !== 0) {
    const at = immediateAt(w, 4, reg);
    w.buffer.writeUInt32BE(addr, at);
    regs.push([TPROXY.regAddr, reg++]);
  }
  if (port !== undefined) {
    const at = immediateAt(w, 2, reg);
    w.buffer.writeUInt16BE(port, at);
    regs.push([TPROXY.regPort, reg]);
  }
  const e = beginExpr(w, 'tproxy');
  w.u32(TPROXY.family, NFPROTO_IPV4);
  for (const [type, r] of regs) w.u32(type, r);
  endExpr(w, e);
  counter(w);
  // No --tproxy-mark: xt_TPROXY writes the mark unchanged.
  if (mark.keep !== 0xffffffff || mark.value !== 0) markSet(w, mark.keep, mark.value);
  verdict(w, 'accept');
}

/**
 * Targets only this writer has a form for (nft's JSON has none): a table with one, and with
 * a statement only nft writes, sends that statement to nft_compat rather than to `nft -j -f`.
 */
export const NETLINK_ONLY = new Set(['TOS', 'ECN']);
