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
  /** The packet's mark (`-m mark`, set by `-j MARK`), u32. Default 0. */
  mark?: number;
  /** Its connection's mark (`-m connmark`, `-j CONNMARK`), u32. Default 0. */
  connmark?: number;
  /**
   * Its conntrack state (`-m state`, `-m conntrack --ctstate`): one of `NEW`, `ESTABLISHED`,
   * `RELATED`, `INVALID`, `UNTRACKED`, optionally with `SNAT`/`DNAT` (the virtual states of
   * `--ctstate`). Default: `NEW` (the first packet of a connection).
   */
  ctState?: string | readonly string[];
  /** Conntrack status bits (`--ctstatus`): `EXPECTED`, `SEEN_REPLY`, `ASSURED`, `CONFIRMED`. */
  ctStatus?: readonly string[];
  /** Addresses of this host (`-m addrtype --src-type/--dst-type LOCAL`); 127.0.0.0/8 always is. */
  localAddresses?: readonly string[];
  /** When the packet arrives, ms since the epoch (`-m limit`). Default: the handler's clock. */
  time?: number;
  /**
   * The primary address of interfaces of this host, by name (`{ "eth0": "192.0.2.1" }`): what
   * MASQUERADE (the outgoing one) and REDIRECT (the incoming one) translate to.
   */
  interfaceAddresses?: Readonly<Record<string, string>>;
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
  /** Bit k set: option kind k (< 32) is in `tcpOptions`. */
  tcpOptionBits: number;
  icmpType: number;
  icmpCode: number;
  fragment: boolean;
  length: number;
  mark: number;
  connmark: number;
  /** State bits ({@link CT_STATE_BITS}). */
  ctState: number;
  /** `IPS_*` bits ({@link CT_STATUS_BITS}). */
  ctStatus: number;
  /** This host's addresses, besides 127.0.0.0/8. */
  local: ReadonlySet<number>;
  /** ms since the epoch. */
  time: number;
  /** Primary address by interface name (MASQUERADE, REDIRECT). */
  interfaceAddresses: ReadonlyMap<string, number>;
}

/**
 * A packet's conntrack state bits by name: xt_state's (INVALID, ESTABLISHED, RELATED, NEW,
 * UNTRACKED), and SNAT/DNAT, the virtual states of `--ctstate`. The conntrack match
 * renumbers them as xt_conntrack does.
 */
export const CT_STATE_BITS: Readonly<Record<string, number>> = {
  INVALID: 0x01,
  ESTABLISHED: 0x02,
  RELATED: 0x04,
  NEW: 0x08,
  UNTRACKED: 0x40,
  SNAT: 0x80,
  DNAT: 0x100,
};

/** Conntrack status bits (`IPS_*`) by the names `--ctstatus` uses. */
export const CT_STATUS_BITS: Readonly<Record<string, number>> = {
  EXPECTED: 0x01,
  SEEN_REPLY: 0x02,
  ASSURED: 0x04,
  CONFIRMED: 0x08,
};

function bitsOf(
  value: unknown,
  names: Readonly<Record<string, number>>,
  field: string,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list))
    throw new RangeError(`packet.${field} must be a name or a list of names`);
  let bits = 0;
  for (const name of list) {
    const bit = typeof name === 'string' ? names[name.toUpperCase()] : undefined;
    if (bit === undefined)
      throw new RangeError(
        `packet.${field}: unknown ${JSON.stringify(name)} (${Object.keys(names).join(', ')})`,
      );
    bits |= bit;
  }
  return bits;
}

const NO_LOCAL: ReadonlySet<number> = new Set();

function localAddresses(value: unknown): ReadonlySet<number> {
  if (value === undefined) return NO_LOCAL;
  if (!Array.isArray(value) || !value.every((a) => typeof a === 'string'))
    throw new RangeError('packet.localAddresses must be a list of dotted-quad addresses');
  return new Set(value.map((a: string) => parseIpv4(a)));
}

const NO_INTERFACES: ReadonlyMap<string, number> = new Map();

function interfaceAddresses(value: unknown): ReadonlyMap<string, number> {
  if (value === undefined) return NO_INTERFACES;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RangeError('packet.interfaceAddresses must map interface names to addresses');
  const out = new Map<string, number>();
  for (const [name, address] of Object.entries(value)) {
    if (typeof address !== 'string')
      throw new RangeError(`packet.interfaceAddresses.${name} must be a dotted-quad address`);
    out.set(iface(name, 'interfaceAddresses'), parseIpv4(address));
  }
  return out;
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
  // The kernel's names are C strings: a NUL would end the name early, and iptables has no way
  // to pass one (its arguments are C strings too).
  if (value.includes('\0'))
    throw new RangeError(`packet.${name} must be an interface name without a NUL byte`);
  return value;
}

function time(value: unknown): number {
  if (value === undefined) return Date.now();
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new RangeError('packet.time must be a number of ms since the epoch');
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
    tcpOptionBits: (tcpOptions as number[]).reduce(
      (bits, o) => (o < 32 ? bits | (2 ** o) : bits),
      0,
    ),
    icmpType: integer(p.icmpType, 'icmpType', 255, 0),
    icmpCode: integer(p.icmpCode, 'icmpCode', 255, 0),
    fragment: p.fragment === true,
    length: integer(p.length, 'length', 65535, 20 + transportHeader),
    mark: integer(p.mark, 'mark', 0xffff_ffff, 0),
    connmark: integer(p.connmark, 'connmark', 0xffff_ffff, 0),
    ctState: bitsOf(p.ctState, CT_STATE_BITS, 'ctState', CT_STATE_BITS.NEW!),
    ctStatus: bitsOf(p.ctStatus, CT_STATUS_BITS, 'ctStatus', 0),
    local: localAddresses(p.localAddresses),
    time: time(p.time),
    interfaceAddresses: interfaceAddresses(p.interfaceAddresses),
  };
}
