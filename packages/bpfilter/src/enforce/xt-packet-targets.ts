/**
 * The target extensions of xt-packet.ts (TCPMSS, CONNMARK, DSCP, CLASSIFY, TTL, NFLOG), read
 * from the kernel's structures into what an nft statement says; an option nft would not carry
 * out the same way is refused by name.
 */
import { readU16, readU32 } from '../abi/index.js';
import { checkRevision, UntranslatableError } from './errors.js';

/** `-j TCPMSS` (struct xt_tcpmss_info: u16 mss, 0xffff for --clamp-mss-to-pmtu). */
export function tcpmssTargetOf(data: Uint8Array, rev: number): number | 'pmtu' {
  checkRevision('-j TCPMSS', rev, 0);
  const mss = readU16(data, 0);
  return mss === 0xffff ? 'pmtu' : mss;
}

/** What `-j CONNMARK` does: set ct mark (`(ct mark & ~mask) ^ value`), save, or restore. */
export type ConnmarkAction =
  | { mode: 'set'; mask: number; value: number }
  | { mode: 'save' }
  | { mode: 'restore' };

/**
 * `-j CONNMARK` (u32 ctmark, ctmask, nfmask; then revision 1: u8 mode; revision 2: u8
 * shift_dir, shift_bits, mode). `--save-mark`/`--restore-mark` only with full masks, and no
 * shift in any mode: nft cannot combine two marks in one expression.
 */
export function connmarkTargetOf(data: Uint8Array, rev: number): ConnmarkAction {
  if (rev !== 1 && rev !== 2) throw new UntranslatableError('-j CONNMARK', `revision ${rev}`);
  const ctmark = readU32(data, 0);
  const ctmask = readU32(data, 4);
  const nfmask = readU32(data, 8);
  const mode = data[rev === 1 ? 12 : 14] ?? 255;
  // Revision 2 shifts the new mark in every mode, --set-xmark included.
  if (rev === 2 && (data[13] ?? 0) !== 0)
    throw new UntranslatableError('-j CONNMARK', '--left-shift-mark or --right-shift-mark');
  if (mode === 0) return { mode: 'set', mask: ctmask, value: ctmark };
  if (mode !== 1 && mode !== 2) throw new UntranslatableError('-j CONNMARK', `mode ${mode}`);
  if (ctmask !== 0xffffffff || nfmask !== 0xffffffff)
    throw new UntranslatableError('-j CONNMARK', '--nfmask or --ctmask');
  return { mode: mode === 1 ? 'save' : 'restore' };
}

/** `-j DSCP --set-dscp` (struct xt_DSCP_info: u8 dscp): `ip dscp set`. */
export function dscpTargetOf(data: Uint8Array, rev: number): number {
  checkRevision('-j DSCP', rev, 0);
  const dscp = data[0] ?? 0;
  if (dscp > 0x3f) throw new UntranslatableError('-j DSCP', `dscp ${dscp}`);
  return dscp;
}

/** `-j CLASSIFY --set-class MAJOR:MINOR` (u32 priority): `meta priority set`. */
export function classifyOf(data: Uint8Array, rev: number): number {
  checkRevision('-j CLASSIFY', rev, 0);
  return readU32(data, 0);
}

/**
 * `-j TTL --ttl-set N` (struct ipt_TTL_info: u8 mode, u8 ttl): `ip ttl set`. `--ttl-inc` and
 * `--ttl-dec` take one nft rule per old TTL (ttl-steps.ts), never this one statement.
 */
export function ttlTargetOf(data: Uint8Array, rev: number): number {
  checkRevision('-j TTL', rev, 0);
  if ((data[0] ?? 255) !== 0)
    throw new UntranslatableError('-j TTL', '--ttl-inc/--ttl-dec in one nft rule');
  return data[1] ?? 0;
}

/** What `-j NFLOG` sends to its netlink group. */
export interface NflogAction {
  group: number;
  prefix: string;
  snaplen?: number;
  threshold: number;
}

const XT_NFLOG_F_COPY_LEN = 1;

/**
 * `-j NFLOG` (struct xt_nflog_info: u32 len, u16 group, threshold, flags, pad, char
 * prefix[64]): `log group G`.
 */
export function nflogOf(data: Uint8Array, rev: number): NflogAction {
  checkRevision('-j NFLOG', rev, 0);
  const flags = readU16(data, 8);
  if (flags & ~XT_NFLOG_F_COPY_LEN) throw new UntranslatableError('-j NFLOG', 'flags');
  const bytes = data.subarray(12, 76);
  const end = bytes.indexOf(0);
  const prefix = Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString();
  return {
    group: readU16(data, 4),
    prefix,
    ...(flags & XT_NFLOG_F_COPY_LEN ? { snaplen: readU32(data, 0) } : {}),
    threshold: readU16(data, 6),
  };
}
