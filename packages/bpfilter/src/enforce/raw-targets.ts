/**
 * The target extensions kept as raw bytes that enforcement expresses in nftables: MARK,
 * NOTRACK/CT --notrack, and the nat targets DNAT, SNAT, MASQUERADE and REDIRECT (x86-64
 * layouts of include/uapi/linux/netfilter/nf_nat.h and xt_*.h). Others are refused by name.
 */
import { decodeNatRange, formatIpv4, NatRangeFlag } from '../abi/index.js';
import type { RawTarget } from '../model/types.js';
import { UntranslatableError } from './errors.js';
import { untranslated } from './refusals.js';
import { and, meta, type NftExpr, payload } from './nft-expr.js';
import { PACKET_TARGETS } from './raw-packet.js';
import { ctTargetOf, ecnOf, markTargetOf, tcpoptstripOf, tproxyOf } from './xt-steering.js';

type TargetTranslator = (data: Uint8Array, revision: number, name: string) => NftExpr[];

/** `meta mark set meta mark & keep ^ value`. */
const markSet = (keep: number, value: number): NftExpr => ({
  mangle: { key: meta('mark'), value: { '^': [and(meta('mark'), keep), value] } },
});

/** `-j MARK`: `meta mark set meta mark & ~M ^ V`. */
function markTarget(data: Uint8Array, revision: number): NftExpr[] {
  const { keep, value } = markTargetOf(data, revision);
  return [markSet(keep, value)];
}

/**
 * `-j ECN`: nft's JSON can set the IP header's ECN field (`ip ecn set`), but its only write of
 * the TCP flags is a raw payload write that leaves the TCP checksum stale; the netlink batch
 * writes both with their checksums fixed.
 */
function ecnTarget(data: Uint8Array, revision: number): NftExpr[] {
  const { ect, tcp } = ecnOf(data, revision);
  if (tcp !== undefined)
    throw new UntranslatableError(
      '-j ECN',
      "nft's JSON has no statement that rewrites TCP flags and fixes the checksum; only the netlink batch (bpfilter_nft_batch) writes it",
    );
  return ect === undefined ? [] : [{ mangle: { key: payload('ip', 'ecn'), value: ect } }];
}

/** The TCP option kinds nft names (others are written by number: `base`). */
const TCP_OPTION_NAMES: Record<number, string> = {
  0: 'eol',
  1: 'nop',
  2: 'maxseg',
  3: 'window',
  4: 'sack-perm',
  5: 'sack',
  8: 'timestamp',
  19: 'md5sig',
  30: 'mptcp',
  34: 'fastopen',
};

/** `-j TCPOPTSTRIP --strip-options`: `reset tcp option KIND` for each kind. */
function tcpoptstripTarget(data: Uint8Array, revision: number): NftExpr[] {
  return tcpoptstripOf(data, revision).map((kind) => {
    const name = TCP_OPTION_NAMES[kind];
    const option = name ? { name } : { base: kind, offset: 0, len: 0 };
    return { reset: { 'tcp option': option } };
  });
}

/**
 * The two nft rules' statements of a `-j TPROXY` (after the rule's matches): `tproxy to A:P
 * counter [meta mark set ...] accept`, and `counter drop` for what no transparent socket took
 * (nft's `tproxy` ends the rule then; xt_TPROXY drops the packet).
 */
export function tproxyRules(data: Uint8Array, revision: number): NftExpr[][] {
  const { addr, port, mark } = tproxyOf(data, revision);
  const to: Record<string, unknown> = { family: 'ip' };
  if (addr !== 0) to.addr = formatIpv4(addr);
  if (port !== undefined) to.port = port;
  const marked = mark.keep !== 0xffffffff || mark.value !== 0;
  return [
    [
      { tproxy: to },
      { counter: null },
      ...(marked ? [markSet(mark.keep, mark.value)] : []),
      { accept: null },
    ],
    [{ counter: null }, { drop: null }],
  ];
}

const CT_DIRECTIONS = ['original', 'reply'];

/** `-j CT --notrack`, `-j NOTRACK`: `notrack`; `-j CT --zone`: `ct [original|reply] zone set`. */
function ctTarget(data: Uint8Array, revision: number, name: string): NftExpr[] {
  const action = ctTargetOf(data, revision, name);
  if (action.kind === 'notrack') return [{ notrack: null }];
  const key =
    action.dir === undefined ? { key: 'zone' } : { key: 'zone', dir: CT_DIRECTIONS[action.dir] };
  return [{ mangle: { key: { ct: key }, value: action.zone } }];
}

/**
 * `-j TOS`: nft's only statement for the whole TOS byte is a raw payload write, which leaves
 * the IP header checksum stale (`@nh,8,8 set ...` writes with csum_type 0); the netlink batch
 * writes the 16-bit word the byte is in with the checksum fixed, as nft does for `ip dscp set`.
 */
function tosTarget(): NftExpr[] {
  throw new UntranslatableError(
    '-j TOS',
    "nft's JSON has no statement that rewrites the TOS byte and fixes the checksum; only the netlink batch (bpfilter_nft_batch) writes it",
  );
}

/** The flags nft writes for a nat statement (`random`, `persistent`, `fully-random`). */
const NFT_FLAGS: readonly [number, string][] = [
  [NatRangeFlag.PROTO_RANDOM, 'random'],
  [NatRangeFlag.PERSISTENT, 'persistent'],
  [NatRangeFlag.PROTO_RANDOM_FULLY, 'fully-random'],
];
const FLAG_BITS = NFT_FLAGS.reduce((all, [bit]) => all | bit, 0);
const KNOWN_FLAGS = NatRangeFlag.MAP_IPS | NatRangeFlag.PROTO_SPECIFIED | FLAG_BITS;

/**
 * A nat target as nft's statement: what it rewrites to and how. The JSON (below) and the
 * netlink writer (netlink-nat.ts) are both written from it.
 */
export interface NatStatement {
  kind: 'dnat' | 'snat' | 'masquerade' | 'redirect';
  /** The first and last address (dotted), for dnat and snat. */
  addr?: readonly [string, string];
  /** The first and last port (`--to-ports`, or the port of `--to-destination`/`--to-source`). */
  port?: readonly [number, number];
  /** The {@link NatRangeFlag} bits nft has words for (random, persistent, fully-random). */
  flags: number;
}

/** The nat targets and their nft statements. */
export const NAT_KIND = {
  DNAT: 'dnat',
  SNAT: 'snat',
  MASQUERADE: 'masquerade',
  REDIRECT: 'redirect',
} as const;

/**
 * `-j DNAT --to-destination`, `-j SNAT --to-source`, `-j MASQUERADE [--to-ports]`,
 * `-j REDIRECT [--to-ports]` (the last two revision 0) as nft's statement, or undefined for
 * another target.
 * @throws UntranslatableError for what nft cannot express (several ranges, a base port, a
 * port without an address, unknown flags).
 */
export function natStatement(
  name: string,
  data: Uint8Array,
  revision: number,
): NatStatement | undefined {
  const kind = NAT_KIND[name as keyof typeof NAT_KIND];
  if (kind === undefined) return undefined;
  const extension = `-j ${name}`;
  const address = kind === 'dnat' || kind === 'snat';
  if (!address && revision !== 0) throw new UntranslatableError(extension, `revision ${revision}`);
  const range = decodeNatRange(data, revision);
  if (range === undefined) throw new UntranslatableError(extension, 'a short range');
  if (range.rangeSize !== 1) throw new UntranslatableError(extension, 'more than one range');
  if (range.basePort !== 0) throw new UntranslatableError(extension, 'a base port (port shifting)');
  if (range.flags & ~KNOWN_FLAGS) throw new UntranslatableError(extension, 'nat flags');
  if (address && !(range.flags & NatRangeFlag.MAP_IPS))
    throw new UntranslatableError(extension, 'a port without an address');
  const statement: NatStatement = { kind, flags: range.flags & FLAG_BITS };
  if (address) statement.addr = [range.minAddress, range.maxAddress];
  if (range.flags & NatRangeFlag.PROTO_SPECIFIED) statement.port = [range.minPort, range.maxPort];
  return statement;
}

/** The one value of a range, or nft's `{ range: [first, last] }`. */
const valueOrRange = <T>([first, last]: readonly [T, T]) =>
  first === last ? first : { range: [first, last] };

/** A nat target's nft JSON statement. */
function natJson(data: Uint8Array, revision: number, name: string): NftExpr[] {
  const { kind, addr, port, flags } = natStatement(name, data, revision)!;
  const statement: Record<string, unknown> = {};
  if (addr) statement.addr = valueOrRange(addr);
  if (port) statement.port = valueOrRange(port);
  const words = NFT_FLAGS.filter(([bit]) => flags & bit).map(([, word]) => word);
  if (words.length > 0) statement.flags = words;
  return [{ [kind]: Object.keys(statement).length > 0 ? statement : null }];
}

const TARGETS = new Map<string, TargetTranslator>([
  ['MARK', markTarget],
  ['NOTRACK', ctTarget],
  ['CT', ctTarget],
  ['TOS', tosTarget],
  ['ECN', ecnTarget],
  ['TCPOPTSTRIP', tcpoptstripTarget],
  // Written by translate-rule.ts as two rules (tproxyRules); read here to name a refusal.
  ['TPROXY', (d, r) => tproxyRules(d, r)[0]!],
  ...Object.keys(NAT_KIND).map((name) => [name, natJson] as const),
  ...PACKET_TARGETS,
]);

/** Translates a raw target by its name; throws {@link UntranslatableError} for the others. */
export function translateRawTarget(target: RawTarget): NftExpr[] {
  const translator = TARGETS.get(target.name);
  if (translator === undefined) throw untranslated(`-j ${target.name}`);
  return translator(target.data, target.revision, target.name);
}
