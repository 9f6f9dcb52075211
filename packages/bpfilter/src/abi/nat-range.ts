/**
 * The range a nat target (DNAT, SNAT, MASQUERADE, REDIRECT, NETMAP) carries, whatever
 * structure it came in (x86-64 layouts of include/uapi/linux/netfilter/nf_nat.h): revision 0
 * is `nf_nat_ipv4_multi_range_compat` (rangesize, then flags, min_ip, max_ip, min and max
 * port), revisions 1 and 2 are `nf_nat_range` / `nf_nat_range2` (flags, min_addr and
 * max_addr as 16-byte `nf_inet_addr`, min and max port, revision 2 a base port).
 */
import { readIpv4, readU32, viewOf } from './bytes.js';

/** `enum nf_nat_range_flags`. */
export const NatRangeFlag = {
  MAP_IPS: 1 << 0,
  PROTO_SPECIFIED: 1 << 1,
  PROTO_RANDOM: 1 << 2,
  PERSISTENT: 1 << 3,
  PROTO_RANDOM_FULLY: 1 << 4,
  PROTO_OFFSET: 1 << 5,
  NETMAP: 1 << 6,
} as const;

/** One nat range. */
export interface NatRange {
  /** Revision 0: how many ranges the structure says it holds (the kernel takes only 1). */
  rangeSize: number;
  /** {@link NatRangeFlag} bits. */
  flags: number;
  /** Dotted quads. */
  minAddress: string;
  maxAddress: string;
  /** Host-order ports (the structures hold them in network order). */
  minPort: number;
  maxPort: number;
  /** Revision 2: the port that maps to `minPort` when `PROTO_OFFSET` is set; else 0. */
  basePort: number;
}

/** Decodes the range of a nat target of `revision`; `undefined` when `data` is too short. */
export function decodeNatRange(data: Uint8Array, revision: number): NatRange | undefined {
  const view = viewOf(data);
  if (revision === 0) {
    if (data.length < 20) return undefined;
    return {
      rangeSize: readU32(data, 0),
      flags: readU32(data, 4),
      minAddress: readIpv4(data, 8),
      maxAddress: readIpv4(data, 12),
      minPort: view.getUint16(16, false),
      maxPort: view.getUint16(18, false),
      basePort: 0,
    };
  }
  if (data.length < 40 || (revision === 2 && data.length < 42)) return undefined;
  return {
    rangeSize: 1,
    flags: readU32(data, 0),
    minAddress: readIpv4(data, 4),
    maxAddress: readIpv4(data, 20),
    minPort: view.getUint16(36, false),
    maxPort: view.getUint16(38, false),
    basePort: revision === 2 ? view.getUint16(40, false) : 0,
  };
}
