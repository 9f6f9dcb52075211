/**
 * Exit statuses of `umd-pgp`, as gpgv's, but stricter: gpgv exits 0 for a signature by an
 * expired or revoked key (EXPKEYSIG, REVKEYSIG), which a script testing `&&` would accept.
 */
import type { SignatureStatus } from '../host/verify.js';

/** 0 good, 1 a signature that is not good, 2 an error (and no public key, as gpgv). */
export function exitFor(status: SignatureStatus | 'unsigned'): 0 | 1 | 2 {
  if (status === 'good') return 0;
  if (status === 'no-public-key' || status === 'unsupported') return 2;
  return 1;
}
