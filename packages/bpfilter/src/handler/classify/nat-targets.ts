/**
 * The nat targets as classification follows them. DNAT, SNAT, MASQUERADE, REDIRECT and
 * NETMAP end the walk with ACCEPT (the kernel's NF_ACCEPT once the binding is set up) and
 * say what the new connection's tuple becomes, as nf_nat's `get_unique_tuple` chooses it
 * when no other connection holds that tuple already (if one does, the kernel picks another
 * port, or address, from the range).
 */
import {
  decodeNatRange,
  formatIpv4,
  type NatRange,
  NatRangeFlag,
  parseIpv4,
} from '../../abi/index.js';
import type { Packet } from './packet.js';

/** The translation a new connection gets from a nat target. */
export interface NatTranslation {
  target: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT' | 'NETMAP';
  /** Which end of the connection the kernel rewrites. */
  rewrites: 'source' | 'destination';
  /**
   * The new address of that end. Absent when the kernel picks one from `addressRange`, or
   * uses the address of `interface` and the packet description's `interfaceAddresses` does
   * not give it.
   */
  address?: string;
  /** First and last address of the range the kernel picks one from (by a hash of the tuple). */
  addressRange?: [string, string];
  /** MASQUERADE and REDIRECT: the interface whose primary address is used. */
  interface?: string;
  /** The new port of that end (the same as before when the target does not change it). */
  port?: number;
  /** Instead of `port`: the range the kernel picks one from. */
  portRange?: [number, number];
  /** `random`, `fully-random`, `persistent`, as iptables names them. */
  flags?: string[];
}

/** Evaluates a compiled nat target for the packet that reached it from built-in chain `hook`. */
export type NatEvaluator = (packet: Packet, hook: string) => NatTranslation;

const NAT_TARGETS = new Set(['DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'NETMAP']);
/** Protocols whose ports nf_nat maps (tcp, udp, dccp, sctp, udplite). */
const PORT_PROTOCOLS = new Set([6, 17, 33, 132, 136]);
const RANDOM_ALL = NatRangeFlag.PROTO_RANDOM | NatRangeFlag.PROTO_RANDOM_FULLY;
const FLAG_NAMES: [number, string][] = [
  [NatRangeFlag.PROTO_RANDOM, 'random'],
  [NatRangeFlag.PROTO_RANDOM_FULLY, 'fully-random'],
  [NatRangeFlag.PERSISTENT, 'persistent'],
];

/** The evaluator of nat target `name`, or `undefined` if it is none or cannot be read. */
export function compileNatTarget(
  name: string,
  revision: number,
  data: Uint8Array,
): NatEvaluator | undefined {
  if (!NAT_TARGETS.has(name)) return undefined;
  const range = decodeNatRange(data, revision);
  if (range === undefined || range.rangeSize !== 1) return undefined;
  const target = name as NatTranslation['target'];
  const flags = FLAG_NAMES.filter(([bit]) => range.flags & bit).map(([, flag]) => flag);
  const min = parseIpv4(range.minAddress);
  const max = parseIpv4(range.maxAddress);
  return (packet, hook) => {
    const rewrites = sideOf(target, hook);
    const current = rewrites === 'source' ? packet.source : packet.destination;
    const out: NatTranslation = { target, rewrites };
    if (target === 'MASQUERADE' || (target === 'REDIRECT' && hook !== 'OUTPUT')) {
      out.interface = target === 'MASQUERADE' ? packet.outInterface : packet.inInterface;
      const address = packet.interfaceAddresses.get(out.interface);
      if (address !== undefined) out.address = formatIpv4(address);
    } else if (target === 'REDIRECT') out.address = '127.0.0.1';
    else if (target === 'NETMAP') {
      const netmask = ~(min ^ max);
      out.address = formatIpv4(((current & ~netmask) | (min & netmask)) >>> 0);
    } else if (!(range.flags & NatRangeFlag.MAP_IPS) || min === max)
      out.address = formatIpv4(range.flags & NatRangeFlag.MAP_IPS ? min : current);
    else if (rewrites === 'source' && !(range.flags & RANDOM_ALL) && within(current, min, max))
      out.address = formatIpv4(current); // the original tuple is tried first
    else out.addressRange = [range.minAddress, range.maxAddress];
    if (PORT_PROTOCOLS.has(packet.protocol)) portOf(out, range, packet, rewrites);
    if (flags.length > 0) out.flags = flags;
    return out;
  };
}

/** DNAT and REDIRECT rewrite the destination; NETMAP by hook; the others the source. */
function sideOf(target: NatTranslation['target'], hook: string): NatTranslation['rewrites'] {
  if (target === 'DNAT' || target === 'REDIRECT') return 'destination';
  if (target === 'NETMAP' && (hook === 'PREROUTING' || hook === 'OUTPUT')) return 'destination';
  return 'source';
}

/** The port, as `get_unique_tuple` and `nf_nat_l4proto_unique_tuple` choose it. */
function portOf(
  out: NatTranslation,
  range: NatRange,
  packet: Packet,
  rewrites: NatTranslation['rewrites'],
): void {
  const current = rewrites === 'source' ? packet.sourcePort : packet.destinationPort;
  const specified = (range.flags & NatRangeFlag.PROTO_SPECIFIED) !== 0;
  const random = (range.flags & RANDOM_ALL) !== 0;
  const { minPort, maxPort } = range;
  if (!random && (!specified || within(current, minPort, maxPort))) {
    out.port = current;
    return;
  }
  if (!specified) {
    // A destination keeps its port; a source gets one of its class (below 512, 600..1023, above).
    if (rewrites === 'destination') out.port = current;
    else out.portRange = current < 512 ? [1, 511] : current < 1024 ? [600, 1023] : [1024, 65535];
    return;
  }
  const size = maxPort - minPort + 1;
  if (range.flags & NatRangeFlag.PROTO_OFFSET)
    out.port = minPort + (((current - range.basePort) & 0xffff) % size);
  else if (minPort === maxPort || (rewrites === 'destination' && !random)) out.port = minPort;
  else out.portRange = [minPort, maxPort];
}

function within(value: number, min: number, max: number): boolean {
  return value >= min && value <= max;
}
