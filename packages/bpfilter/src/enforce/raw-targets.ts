/**
 * The target extensions kept as raw bytes that enforcement expresses in nftables: MARK,
 * NOTRACK/CT --notrack, and the nat targets DNAT, SNAT, MASQUERADE and REDIRECT (x86-64
 * layouts of include/uapi/linux/netfilter/nf_nat.h and xt_*.h). Others are refused by name.
 */
import { decodeNatRange, type NatRange, NatRangeFlag, readU16, readU32 } from '../abi/index.js';
import type { RawTarget } from '../model/types.js';
import { UntranslatableError } from './errors.js';
import { untranslated } from './refusals.js';
import { and, meta, type NftExpr } from './nft-expr.js';
import { PACKET_TARGETS } from './raw-packet.js';

type TargetTranslator = (data: Uint8Array, revision: number, name: string) => NftExpr[];

/** `-j MARK` revision 2 (`--set-xmark V/M` and its aliases): mark = (mark & ~M) ^ V. */
function markTarget(data: Uint8Array, revision: number): NftExpr[] {
  if (revision !== 2) throw new UntranslatableError('-j MARK', `revision ${revision}`);
  const value = readU32(data, 0);
  const mask = readU32(data, 4);
  const kept = and(meta('mark'), ~mask >>> 0);
  return [{ mangle: { key: meta('mark'), value: { '^': [kept, value] } } }];
}

const XT_CT_NOTRACK = 1;
const XT_CT_NOTRACK_ALIAS = 2;

/** `-j CT --notrack` and `-j NOTRACK` (which iptables sends as CT); no other CT option. */
function ctTarget(data: Uint8Array, revision: number): NftExpr[] {
  const flags = readU16(data, 0);
  // zone, ct_events, exp_events, helper[16] (and from revision 1, timeout[32]) must be unset.
  const optionsEnd = revision === 0 ? 28 : 60;
  const options = data.subarray(2, optionsEnd).some((b) => b !== 0);
  if (!(flags & XT_CT_NOTRACK) || flags & ~(XT_CT_NOTRACK | XT_CT_NOTRACK_ALIAS) || options)
    throw new UntranslatableError('-j CT', 'options other than --notrack');
  return [{ notrack: null }];
}

const KNOWN_FLAGS =
  NatRangeFlag.MAP_IPS |
  NatRangeFlag.PROTO_SPECIFIED |
  NatRangeFlag.PROTO_RANDOM |
  NatRangeFlag.PERSISTENT |
  NatRangeFlag.PROTO_RANDOM_FULLY;

/** The range of a nat target, refused when nft cannot express it. */
function natRange(data: Uint8Array, revision: number, extension: string): NatRange {
  const range = decodeNatRange(data, revision);
  if (range === undefined) throw new UntranslatableError(extension, 'a short range');
  if (range.rangeSize !== 1) throw new UntranslatableError(extension, 'more than one range');
  if (range.basePort !== 0) throw new UntranslatableError(extension, 'a base port (port shifting)');
  return range;
}

function natFlags(range: NatRange, extension: string): string[] {
  if (range.flags & ~KNOWN_FLAGS) throw new UntranslatableError(extension, 'nat flags');
  const flags: string[] = [];
  if (range.flags & NatRangeFlag.PROTO_RANDOM) flags.push('random');
  if (range.flags & NatRangeFlag.PERSISTENT) flags.push('persistent');
  if (range.flags & NatRangeFlag.PROTO_RANDOM_FULLY) flags.push('fully-random');
  return flags;
}

function portsOf(range: NatRange): Record<string, unknown> {
  if (!(range.flags & NatRangeFlag.PROTO_SPECIFIED)) return {};
  return {
    port:
      range.minPort === range.maxPort ? range.minPort : { range: [range.minPort, range.maxPort] },
  };
}

/** `-j DNAT --to-destination` / `-j SNAT --to-source`. */
function addressNat(data: Uint8Array, revision: number, name: string): NftExpr[] {
  const extension = `-j ${name}`;
  const range = natRange(data, revision, extension);
  if (!(range.flags & NatRangeFlag.MAP_IPS))
    throw new UntranslatableError(extension, 'a port without an address');
  const addr =
    range.minAddress === range.maxAddress
      ? range.minAddress
      : { range: [range.minAddress, range.maxAddress] };
  const flags = natFlags(range, extension);
  const statement: Record<string, unknown> = { addr, ...portsOf(range) };
  if (flags.length > 0) statement.flags = flags;
  return [{ [name === 'DNAT' ? 'dnat' : 'snat']: statement }];
}

/** `-j MASQUERADE [--to-ports]` / `-j REDIRECT [--to-ports]` (revision 0). */
function portNat(data: Uint8Array, revision: number, name: string): NftExpr[] {
  const extension = `-j ${name}`;
  if (revision !== 0) throw new UntranslatableError(extension, `revision ${revision}`);
  const range = natRange(data, 0, extension);
  const flags = natFlags(range, extension);
  const statement: Record<string, unknown> = { ...portsOf(range) };
  if (flags.length > 0) statement.flags = flags;
  const key = name === 'MASQUERADE' ? 'masquerade' : 'redirect';
  return [{ [key]: Object.keys(statement).length > 0 ? statement : null }];
}

const TARGETS = new Map<string, TargetTranslator>([
  ['MARK', markTarget],
  ['NOTRACK', () => [{ notrack: null }]],
  ['CT', ctTarget],
  ['DNAT', addressNat],
  ['SNAT', addressNat],
  ['MASQUERADE', portNat],
  ['REDIRECT', portNat],
  ...PACKET_TARGETS,
]);

/** Translates a raw target by its name; throws {@link UntranslatableError} for the others. */
export function translateRawTarget(target: RawTarget): NftExpr[] {
  const translator = TARGETS.get(target.name);
  if (translator === undefined) throw untranslated(`-j ${target.name}`);
  return translator(target.data, target.revision, target.name);
}
