import { createHash } from 'node:crypto';

/** Hex SHA-256 of a byte array (the digest a loader's `sha256` holds; `@umd/build` records it). */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
