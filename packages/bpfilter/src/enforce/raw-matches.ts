/**
 * The match extensions the model keeps as raw bytes that enforcement can still express in
 * nftables, decoded from the kernel's structures (x86-64 layouts, include/uapi/linux/
 * netfilter/xt_*.h). Anything else, or an option of these nft cannot say, is refused by name.
 */
import { readIpv4, readU16, readU32 } from '../abi/index.js';
import type { RawMatch } from '../model/types.js';
import { UntranslatableError } from './errors.js';
import { untranslated } from './refusals.js';
import { and, match, meta, type NftExpr, payload, rangeOrValue, set } from './nft-expr.js';
import type { CtCheck } from './ct-alternatives.js';
import { PACKET_MATCHES } from './raw-packet.js';
import { rpfilterOf } from './xt-rpfilter.js';
import { addrtypeOf, markOf, multiportOf, RTN_NAMES } from './xt-steering.js';

type MatchTranslator = (data: Uint8Array, revision: number, name: string) => NftExpr[];

// enum ip_conntrack_info bits as xt_state / xt_conntrack number them -> nft's ct state bits.
const CT_STATE_BITS: [number, number][] = [
  [1 << 0, 1], // INVALID -> invalid
  [1 << 1, 2], // ESTABLISHED -> established
  [1 << 2, 4], // RELATED -> related
  [1 << 3, 8], // NEW -> new
];
const XT_STATE_UNTRACKED = 1 << 4;
const XT_CONNTRACK_STATE_UNTRACKED = 1 << 8;
const NFT_CT_STATE_UNTRACKED = 64;

/**
 * A conntrack state test: xt's (bits of this packet's state and its connection's NAT status)
 * & mask != 0, inverted or not (ct-alternatives.ts says it in nft).
 */
export interface CtStateTest {
  /** nft's ct state bits. */
  mask: number;
  /** nft's ct status bits (IPS_SRC_NAT, IPS_DST_NAT) of `--ctstate SNAT/DNAT`; 0 for none. */
  nat: number;
  invert: boolean;
}

// XT_CONNTRACK_STATE_SNAT, _DNAT -> IPS_SRC_NAT, IPS_DST_NAT (ct status bits 4 and 5).
const NAT_STATUS_BITS: [number, number][] = [
  [1 << 6, 1 << 4],
  [1 << 7, 1 << 5],
];

function ctStateTest(xtMask: number, untrackedBit: number, invert: boolean): CtStateTest {
  let mask = 0;
  for (const [xt, nft] of CT_STATE_BITS) if (xtMask & xt) mask |= nft;
  if (xtMask & untrackedBit) mask |= NFT_CT_STATE_UNTRACKED;
  return { mask, nat: 0, invert };
}

// xt_conntrack match_flags
const XT_CONNTRACK_STATE = 1 << 0;
const XT_CONNTRACK_STATE_ALIAS = 1 << 13;

/**
 * The state test of `-m conntrack --ctstate` (revisions 1..3), undefined without one; other
 * conntrack options are refused.
 */
function conntrackTest(data: Uint8Array, revision: number): CtStateTest | undefined {
  // 8 addresses/masks (128 bytes), expires min/max (8), l4proto (2), 4 ports (8): flags at 146.
  const matchFlags = readU16(data, 146);
  const invertFlags = readU16(data, 148);
  const stateMask = revision === 1 ? (data[150] ?? 0) : readU16(data, 150);
  if ((matchFlags & ~(XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS)) !== 0)
    throw new UntranslatableError('-m conntrack', 'options other than --ctstate');
  if (!(matchFlags & XT_CONNTRACK_STATE)) return undefined;
  const invert = (invertFlags & XT_CONNTRACK_STATE) !== 0;
  const test = ctStateTest(stateMask, XT_CONNTRACK_STATE_UNTRACKED, invert);
  for (const [xt, status] of NAT_STATUS_BITS) if (stateMask & xt) test.nat |= status;
  return test;
}

/**
 * The conntrack state test of a `-m state` or `-m conntrack` match; undefined for another
 * match, or a conntrack match that tests no state.
 * @throws UntranslatableError for conntrack options other than --ctstate.
 */
export function ctStateOf(m: RawMatch): CtStateTest | undefined {
  // -m state: struct xt_state_info, u32 statemask; `!` is stored as the complement.
  if (m.name === 'state') return ctStateTest(readU32(m.data, 0), XT_STATE_UNTRACKED, false);
  if (m.name === 'conntrack') return conntrackTest(m.data, m.revision);
  return undefined;
}

/** One conntrack check (ct-alternatives.ts): `ct KEY & mask == 0` or `!= 0`. */
export function ctCheckExpr({ key, mask, zero }: CtCheck): NftExpr {
  return match(and({ ct: { key } }, mask), zero ? '==' : '!=', 0);
}

/** `-m multiport --sports/--dports`: `th sport|dport { ... }`. */
function multiport(data: Uint8Array, revision: number): NftExpr[] {
  const { field, ports, invert } = multiportOf(data, revision);
  const elements = ports.map(([from, to]) => rangeOrValue(from, to));
  // `th` is the transport header of whichever protocol the rule names (tcp, udp, sctp...).
  return [match(payload('th', field), invert ? '!=' : '==', set(elements))];
}

/** `-m mark --mark V/M`: `meta mark & M == V`. */
function mark(data: Uint8Array, revision: number): NftExpr[] {
  const { value, mask, invert } = markOf(data, revision);
  return [match(and(meta('mark'), mask), invert ? '!=' : '==', value)];
}

// xt_iprange flags
const IPRANGE_SRC = 1 << 0;
const IPRANGE_DST = 1 << 1;
const IPRANGE_SRC_INV = 1 << 4;
const IPRANGE_DST_INV = 1 << 5;

/** One side of `-m iprange`: where its first and last address are in the match's data. */
export interface IpRangeTest {
  field: 'saddr' | 'daddr';
  /** Offsets of the first and the last address (network order) in the data. */
  from: number;
  to: number;
  invert: boolean;
}

/** The tests of `-m iprange --src-range/--dst-range` (revision 1: four nf_inet_addr, u8 flags). */
export function ipRangesOf(data: Uint8Array, revision: number): IpRangeTest[] {
  if (revision !== 1) throw new UntranslatableError('-m iprange', `revision ${revision}`);
  const flags = data[64] ?? 0;
  const out: IpRangeTest[] = [];
  if (flags & IPRANGE_SRC)
    out.push({ field: 'saddr', from: 0, to: 16, invert: (flags & IPRANGE_SRC_INV) !== 0 });
  if (flags & IPRANGE_DST)
    out.push({ field: 'daddr', from: 32, to: 48, invert: (flags & IPRANGE_DST_INV) !== 0 });
  return out;
}

function iprange(data: Uint8Array, revision: number): NftExpr[] {
  return ipRangesOf(data, revision).map(({ field, from, to, invert }) =>
    match(payload('ip', field), invert ? '!=' : '==', {
      range: [readIpv4(data, from), readIpv4(data, to)],
    }),
  );
}

/** `-m addrtype --src-type/--dst-type`: `fib saddr|daddr type { ... }`. */
function addrtype(data: Uint8Array, revision: number): NftExpr[] {
  return addrtypeOf(data, revision).map(({ key, types, invert }) =>
    match(
      { fib: { result: 'type', flags: [key] } },
      invert ? '!=' : '==',
      set(types.map((t) => RTN_NAMES[t])),
    ),
  );
}

/** `-m rpfilter`: `fib saddr [. mark] [. iif] oif` 0 (no route back) or != 0. */
function rpfilter(data: Uint8Array, revision: number): NftExpr[] {
  const { mark, iif, invert } = rpfilterOf(data, revision);
  const flags = ['saddr', ...(mark ? ['mark'] : []), ...(iif ? ['iif'] : [])];
  return [match({ fib: { result: 'oif', flags } }, invert ? '==' : '!=', 0)];
}

const MATCHES = new Map<string, MatchTranslator>([
  // A comment changes no verdict; nft would cap it at 128 bytes, so it stays in bpfilter only.
  ['comment', () => []],
  ['multiport', multiport],
  ['mark', mark],
  ['iprange', iprange],
  ['addrtype', addrtype],
  ['rpfilter', rpfilter],
  ...PACKET_MATCHES,
]);

/**
 * Translates a raw match by its name (not a conntrack state test: translate-rule.ts writes
 * those, which may need two rules); throws {@link UntranslatableError} for the others.
 */
export function translateRawMatch(m: RawMatch): NftExpr[] {
  const translator = MATCHES.get(m.name);
  if (translator === undefined) throw untranslated(`-m ${m.name}`);
  return translator(m.data, m.revision, m.name);
}
