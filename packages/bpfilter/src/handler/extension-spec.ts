/**
 * What the handler knows of one extension, in the terms of the kernel's `xt_check_match` /
 * `xt_check_target`: the data size of each revision, the one table and the hooks it is
 * registered for, the IP protocol it needs, and its own `checkentry`.
 */
import {
  Errno,
  IPT_INV_PROTO,
  NF_INET_FORWARD,
  NF_INET_LOCAL_IN,
  NF_INET_LOCAL_OUT,
  NF_INET_POST_ROUTING,
  NF_INET_PRE_ROUTING,
} from '../abi/index.js';

/** A match of the rule, as a target's checkentry may look at it (TCPMSS looks for a SYN match). */
export interface RuleMatch {
  name: string;
  revision: number;
  data: Uint8Array;
}

/** Facts outside the table that some checks depend on (the kernel looks them up). */
export interface CheckEnvironment {
  /** Whether a cgroup v2 path exists (the `cgroup` match's `--path`). */
  cgroupPathExists(path: string): boolean;
  /** Whether a rate estimator of that name exists (made by a `RATEEST` rule in any table). */
  rateEstimatorExists(name: string): boolean;
  /** A `RATEEST` rule passed its checks: its estimator exists from now on. */
  addRateEstimator(name: string): void;
  /**
   * Whether the ipset of that index may exist (`-m set`, `-j SET`): only when the kernel holds
   * the sets (enforcing), whose own check at install then has the last word.
   */
  setExists(index: number): boolean;
}

/** What a checkentry sees of the rule (the kernel's `xt_mtchk_param` / `xt_tgchk_param`). */
export interface CheckContext {
  /** `ipt_ip.proto` and `ipt_ip.invflags`. */
  proto: number;
  invflags: number;
  /** The extension's data (after the 32-byte header). */
  data: Uint8Array;
  revision: number;
  /** The hooks that reach the rule (`comefrom`). */
  hookMask: number;
  /** The table being replaced. */
  table: string;
  /** Every match of the rule, in order. */
  matches: readonly RuleMatch[];
  env: CheckEnvironment;
}

/** A checkentry's refusal: a message (EINVAL) or an errno and a message. */
export type CheckResult = string | { errno: number; message: string } | undefined;

/** One registered extension (a match or a target). */
export interface ExtensionSpec {
  /** Revision -> the kernel's `matchsize`/`targetsize` (before XT_ALIGN); null: not checked. */
  sizes: Readonly<Record<number, number | null>>;
  /**
   * Revision -> the kernel's `usersize` where it registers one: the data GET_ENTRIES copies
   * back; the rest is the extension's own state (pointers, counters), read back as zeros.
   * The offset of that state's first field in the uapi struct, checked against a kernel
   * (test/iptables-data-bytes.test.ts).
   */
  userSizes?: Readonly<Record<number, number>>;
  /**
   * What the kernel's checkentry writes into the rule it keeps, which GET_ENTRIES then reads
   * back: applied to the data copied out (`copy-entries.ts`), never to the table checked.
   */
  keptData?: (data: Uint8Array, revision: number) => void;
  /** Only valid with this `ipt_ip.proto`, not inverted. */
  proto?: number;
  /** Only valid in this table. */
  table?: string;
  /** Bitmask of hooks it may be reached from. */
  hooks?: number;
  /** The kernel's checkentry. */
  check?: (ctx: CheckContext) => CheckResult;
  /**
   * Registered for NFPROTO_UNSPEC (in some revision), so the kernel's lookup, which ends in
   * that family's list, finds the name there: a revision it lacks is EPROTOTYPE, not ENOENT.
   * Measured on 6.18 with revision 200 of each extension (test/iptables-revision-errno.test.ts):
   * most targets register per family there; `comment`, `conntrack`, `limit`, `mark`, ... do not.
   */
  familyIndependent?: true;
}

/** The revisions of a spec, ascending. */
export function revisionsOf(spec: ExtensionSpec): number[] {
  return Object.keys(spec.sizes)
    .map(Number)
    .sort((a, b) => a - b);
}

/** Hook bits by chain name, for readable masks. */
export const H = {
  PRE: 1 << NF_INET_PRE_ROUTING,
  IN: 1 << NF_INET_LOCAL_IN,
  FWD: 1 << NF_INET_FORWARD,
  OUT: 1 << NF_INET_LOCAL_OUT,
  POST: 1 << NF_INET_POST_ROUTING,
} as const;

/** IP protocol numbers that extensions are registered for. */
export const PROTO = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  DCCP: 33,
  ESP: 50,
  AH: 51,
  IPCOMP: 108,
  SCTP: 132,
  UDPLITE: 136,
} as const;

/** The rule's protocol when it is not inverted (0: any, or inverted). */
export function plainProto(ctx: CheckContext): number {
  return ctx.invflags & IPT_INV_PROTO ? 0 : ctx.proto;
}

/** A refusal with an errno other than EINVAL. */
export function refusal(errno: number, message: string): CheckResult {
  return { errno, message };
}

/** Little-endian reads that treat missing bytes as zero (data is size-checked first). */
export const u8 = (d: Uint8Array, o: number): number => d[o] ?? 0;
export const u16 = (d: Uint8Array, o: number): number => u8(d, o) | (u8(d, o + 1) << 8);
export const u32 = (d: Uint8Array, o: number): number => (u16(d, o) | (u16(d, o + 2) << 16)) >>> 0;

/** A NUL-terminated string field of `size` bytes at `offset`, or undefined if unterminated. */
export function cString(d: Uint8Array, offset: number, size: number): string | undefined {
  const field = d.subarray(offset, offset + size);
  const end = field.indexOf(0);
  if (end < 0) return undefined;
  return new TextDecoder().decode(field.subarray(0, end));
}

/** Refusal for flag bits outside `mask`. */
export function unknownFlags(what: string, value: number, mask: number): CheckResult {
  return value & ~mask ? `${what}: unknown flags 0x${value.toString(16)}` : undefined;
}

/** A field reader: `u8`, `u16` or `u32`. */
export type Read = (d: Uint8Array, o: number) => number;

/** A check that refuses flag bits outside `mask` in the field at `offset`. */
export function flagsAt(what: string, read: Read, offset: number, mask: number) {
  return ({ data }: CheckContext): CheckResult => unknownFlags(what, read(data, offset), mask);
}

/**
 * A check of an option bitmap and its inversions (`sctp`, `dccp`): both within `mask`, and
 * only given options inverted.
 */
export function optionsAt(what: string, read: Read, at: number, invAt: number, mask: number) {
  return ({ data }: CheckContext): CheckResult => {
    const flags = read(data, at);
    const inv = read(data, invAt);
    return (
      unknownFlags(what, flags, mask) ??
      unknownFlags(`${what} invflags`, inv, mask) ??
      (inv & ~flags ? `${what}: inverted option not given` : undefined)
    );
  };
}

/** A check that the byte at `offset` is at most `max` (else `errno`, as the kernel answers). */
export function byteAtMost(offset: number, max: number, errno: number, message: string) {
  return ({ data }: CheckContext): CheckResult =>
    u8(data, offset) > max ? refusal(errno, message) : undefined;
}

/** A registry of extensions by name, from an object literal. */
export function registry(specs: Record<string, ExtensionSpec>): ReadonlyMap<string, ExtensionSpec> {
  return new Map(Object.entries(specs));
}

export { Errno };
