/** The packet description CLASSIFY takes, and its validation into a normalized form. */
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, parseIpv4 } from '../../abi/index.js';

/** TCP flag bits by name (as in `--tcp-flags`). */
export const TCP_FLAG_BITS: Readonly<Record<string, number>> = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
};

/** A packet as the caller describes it (JSON). */
export interface PacketInput {
  /** Dotted-quad addresses. */
  source: string;
  destination: string;
  /** Protocol number or `tcp` / `udp` / `icmp`. Default 0 (any other). */
  protocol?: number | 'tcp' | 'udp' | 'icmp';
  sourcePort?: number;
  destinationPort?: number;
  /** Interface names; omitted = none (as on OUTPUT for the input side). */
  inInterface?: string;
  outInterface?: string;
  /** TCP flags: bit mask or names (`["SYN"]`). */
  tcpFlags?: number | readonly string[];
  /** TCP option kinds present in the header (for `--tcp-option`). */
  tcpOptions?: readonly number[];
  icmpType?: number;
  icmpCode?: number;
  /** A non-first fragment (fragment offset != 0). */
  fragment?: boolean;
  /** Bytes, for the byte counters. Default: the IP header plus the transport header. */
  length?: number;
}

/** A validated packet. */
export interface Packet {
  source: number;
  destination: number;
  protocol: number;
  sourcePort: number;
  destinationPort: number;
  inInterface: string;
  outInterface: string;
  tcpFlags: number;
  tcpOptions: number[];
  icmpType: number;
  icmpCode: number;
  fragment: boolean;
  length: number;
}

const PROTOCOLS: Record<string, number> = {
  tcp: IPPROTO_TCP,
  udp: IPPROTO_UDP,
  icmp: IPPROTO_ICMP,
};

function integer(value: unknown, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max)
    throw new RangeError(`packet.${name} must be an integer 0..${max}`);
  return value;
}

function iface(value: unknown, name: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string' || value.length > 15)
    throw new RangeError(`packet.${name} must be an interface name of at most 15 characters`);
  return value;
}

/** Validate a packet description; throws a RangeError saying which field is wrong. */
export function parsePacket(input: unknown): Packet {
  if (typeof input !== 'object' || input === null) throw new RangeError('packet must be an object');
  const p = input as Record<string, unknown>;
  const address = (name: string) => {
    const value = p[name];
    if (typeof value !== 'string')
      throw new RangeError(`packet.${name} must be a dotted-quad address`);
    return parseIpv4(value);
  };
  let protocol: number;
  if (typeof p.protocol === 'string') {
    const known = PROTOCOLS[p.protocol];
    if (known === undefined)
      throw new RangeError(`packet.protocol "${p.protocol}" is not tcp, udp, icmp or a number`);
    protocol = known;
  } else protocol = integer(p.protocol, 'protocol', 255, 0);
  let tcpFlags = 0;
  if (Array.isArray(p.tcpFlags)) {
    for (const flag of p.tcpFlags) {
      const bit = typeof flag === 'string' ? TCP_FLAG_BITS[flag.toUpperCase()] : undefined;
      if (bit === undefined)
        throw new RangeError(`packet.tcpFlags: unknown flag ${JSON.stringify(flag)}`);
      tcpFlags |= bit;
    }
  } else tcpFlags = integer(p.tcpFlags, 'tcpFlags', 255, 0);
  const tcpOptions = p.tcpOptions === undefined ? [] : p.tcpOptions;
  if (
    !Array.isArray(tcpOptions) ||
    !tcpOptions.every((o) => Number.isInteger(o) && o >= 0 && o <= 255)
  )
    throw new RangeError('packet.tcpOptions must be a list of option kinds 0..255');
  if (p.fragment !== undefined && typeof p.fragment !== 'boolean')
    throw new RangeError('packet.fragment must be a boolean');
  const transportHeader =
    protocol === IPPROTO_TCP ? 20 : protocol === IPPROTO_UDP || protocol === IPPROTO_ICMP ? 8 : 0;
  return {
    source: address('source'),
    destination: address('destination'),
    protocol,
    sourcePort: integer(p.sourcePort, 'sourcePort', 65535, 0),
    destinationPort: integer(p.destinationPort, 'destinationPort', 65535, 0),
    inInterface: iface(p.inInterface, 'inInterface'),
    outInterface: iface(p.outInterface, 'outInterface'),
    tcpFlags,
    tcpOptions: tcpOptions as number[],
    icmpType: integer(p.icmpType, 'icmpType', 255, 0),
    icmpCode: integer(p.icmpCode, 'icmpCode', 255, 0),
    fragment: p.fragment === true,
    length: integer(p.length, 'length', 65535, 20 + transportHeader),
  };
}
