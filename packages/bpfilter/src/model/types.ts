/**
 * The structured form of an iptables table: chains of rules, each rule its IP fields,
 * matches and target. This is what the TypeScript API and the iptables-save text work
 * with; `encodeTable` / `decodeTable` convert it to and from the kernel's entry blob.
 */
import type { RejectWith } from '../abi/index.js';

/** Packet and byte counters (u64 in the ABI). */
export interface Counters {
  packets: bigint;
  bytes: bigint;
}

/** The terminal verdicts a standard target can hold. */
export type StandardVerdict = 'ACCEPT' | 'DROP' | 'QUEUE' | 'RETURN';
/** A built-in chain's policy. */
export type Policy = 'ACCEPT' | 'DROP';

/** Which IP fields of a rule are negated (`!`). */
export interface IpInversions {
  source?: boolean;
  destination?: boolean;
  inInterface?: boolean;
  outInterface?: boolean;
  protocol?: boolean;
  fragment?: boolean;
}

/** An inclusive port range; `[0, 65535]` matches every port. */
export type PortRange = [min: number, max: number];

/** `-p tcp` match (`xt_tcp`): ports, flags (`--tcp-flags mask compare`), option. */
export interface TcpMatch {
  kind: 'tcp';
  sourcePorts?: PortRange;
  destinationPorts?: PortRange;
  /** TCP flag bits (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20): `(flags & mask) == compare`. */
  flags?: { mask: number; compare: number };
  /** `--tcp-option N` (0 = none). */
  option?: number;
  invert?: { sourcePorts?: boolean; destinationPorts?: boolean; flags?: boolean; option?: boolean };
}

/** `-p udp` match (`xt_udp`). */
export interface UdpMatch {
  kind: 'udp';
  sourcePorts?: PortRange;
  destinationPorts?: PortRange;
  invert?: { sourcePorts?: boolean; destinationPorts?: boolean };
}

/** `-p icmp` match (`ipt_icmp`): type 255 means any type. */
export interface IcmpMatch {
  kind: 'icmp';
  type: number;
  /** Inclusive code range; default `[0, 255]`. */
  code?: [min: number, max: number];
  invert?: boolean;
}

/** Any other match, kept byte-exact (it round-trips but cannot be evaluated). */
export interface RawMatch {
  kind: 'raw';
  name: string;
  revision: number;
  /** The data after the 32-byte header, padding included. */
  data: Uint8Array;
}

/** A rule's match. */
export type Match = TcpMatch | UdpMatch | IcmpMatch | RawMatch;

/** `-j ACCEPT|DROP|QUEUE|RETURN`. */
export interface VerdictTarget {
  kind: 'verdict';
  verdict: StandardVerdict;
}
/** `-j CHAIN` (jump, returns) or `-g CHAIN` (goto, does not return). */
export interface JumpTarget {
  kind: 'jump' | 'goto';
  chain: string;
}
/** `-j REJECT --reject-with TYPE`. */
export interface RejectTarget {
  kind: 'reject';
  with: RejectWith;
}
/** `-j LOG`: level 0..7, prefix up to 29 bytes, `IPT_LOG_*` flags. */
export interface LogTarget {
  kind: 'log';
  level: number;
  prefix: string;
  flags: number;
}
/** Any other target, kept byte-exact. */
export interface RawTarget {
  kind: 'raw';
  name: string;
  revision: number;
  data: Uint8Array;
}
/**
 * No `-j`/`-g` (e.g. `iptables -A INPUT -s 1.2.3.4`): a counting rule. A matching packet
 * updates its counters and goes on to the next rule. libiptc encodes it as a standard
 * target whose verdict is the offset of the following entry (a jump that falls through).
 */
export interface NoTarget {
  kind: 'none';
}
/** A rule's target. */
export type Target = VerdictTarget | JumpTarget | RejectTarget | LogTarget | RawTarget | NoTarget;

/** One rule. Omitted fields match anything. */
export interface Rule {
  /** `addr/prefix` or `addr/dotted-mask` or a bare address (= /32). */
  source?: string;
  destination?: string;
  /** Interface name; a trailing `+` matches any suffix. */
  inInterface?: string;
  outInterface?: string;
  /** IP protocol number (0 or omitted: any). */
  protocol?: number;
  /** `-f`: only second and later fragments. */
  fragment?: boolean;
  invert?: IpInversions;
  matches?: Match[];
  target: Target;
  counters?: Counters;
  /** Interface masks that differ from what the name implies (kept for byte-exactness). */
  inInterfaceMask?: Uint8Array;
  outInterfaceMask?: Uint8Array;
}

/** A chain: built-in (has a policy) or user-defined. */
export interface Chain {
  name: string;
  /** Built-in chains only. */
  policy?: Policy;
  /** The policy's counters (built-in) or the implicit RETURN's (user chain). */
  counters?: Counters;
  rules: Rule[];
}

/** A table: its built-in chains in hook order, then user chains. */
export interface Table {
  name: string;
  chains: Chain[];
}
