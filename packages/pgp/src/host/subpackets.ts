/**
 * The facts the host reads from a signature's hashed subpackets (RFC 9580 5.2.3.7): fixed-size
 * fields, each length-checked. The unhashed area is read for the issuer hint only.
 */
import type { SignaturePacket, Subpacket } from '../contract.js';

/** What a signature says about itself and its key, from its hashed area. */
export interface SignatureFacts {
  created?: number;
  /** Seconds after `created` when the signature expires (0: never). */
  expiresAfter?: number;
  /** Seconds after the key's creation when the key expires (0: never). */
  keyExpiresAfter?: number;
  keyFlags?: number;
  primaryUserId?: boolean;
  /** Issuer key ID (hex, upper case) from either area: a hint for finding the key. */
  issuerKeyId?: string;
  /**
   * The key ID GnuPG 2.2 records for the signature, by which it matches a self-signature to
   * its key: the first issuer key ID subpacket (hashed area first), its first eight octets;
   * none when that subpacket is shorter, whatever comes after it (gpg's enum_sig_subpkt).
   */
  recordedKeyId?: string;
  /** Issuer fingerprint (hex, upper case) from either area: a hint for finding the key. */
  issuerFingerprint?: string;
  revocationReason?: { code: number; text: string };
  /** The embedded signature (a primary key binding), if any, from the hashed area. */
  embedded?: SignaturePacket;
  /** A critical subpacket this host does not know (either area): the signature must be ignored. */
  unknownCritical?: number;
}

/**
 * The critical subpackets GnuPG 2.2 handles (its can_handle_critical); any other critical one
 * voids the signature there, so it must here too. Knowing a type is not enough: gpg refuses a
 * critical signer's user ID (28), intended recipient (35) or keyserver flags (23), for one.
 */
const HANDLED_CRITICAL = new Set([
  2, 3, 4, 5, 6, 7, 9, 11, 12, 16, 21, 22, 24, 25, 26, 27, 29, 30, 32, 33,
]);

/**
 * Version 6 signatures, which GnuPG 2.2 cannot read, keep RFC 9580's reading: a critical
 * subpacket of a type this host knows (reads or may ignore) is handled.
 */
const KNOWN_V6 = new Set([
  2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 16, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34,
  35, 37, 38, 39,
]);

/** Notations gpg knows by default (its --known-notation list): a critical one of these is handled. */
const KNOWN_NOTATIONS = new Set(['preferred-email-encoding@pgp.com', 'pka-address@gnupg.org']);

/** True when `type` (without its critical bit) is handled as a critical subpacket of `sig`. */
function handledCritical(sig: SignaturePacket, type: number, data: Buffer): boolean {
  if (sig.version === 6) return KNOWN_V6.has(type);
  if (HANDLED_CRITICAL.has(type)) return true;
  // A key block (38) whose first octet, its version, is 0.
  if (type === 38) return data.length > 0 && data[0] === 0;
  if (type !== 20 || data.length < 8) return false;
  const nameLength = data.readUInt16BE(4);
  if (data.length - 8 < nameLength) return false;
  return KNOWN_NOTATIONS.has(data.subarray(8, 8 + nameLength).toString('latin1'));
}

const u32 = (data: Buffer): number | undefined =>
  data.length === 4 ? data.readUInt32BE(0) : undefined;

/** Reads the facts of `sig`. A field of the wrong size is left out, as if absent. */
export function factsOf(sig: SignaturePacket): SignatureFacts {
  const facts: SignatureFacts = {};
  let issuerSeen = false;
  const read = (sub: Subpacket, hashed: boolean): void => {
    const data = Buffer.from(sub.data, 'base64');
    const type = sub.type & 0x7f;
    if (type === 16 && data.length === 8) facts.issuerKeyId ??= data.toString('hex').toUpperCase();
    if (type === 16 && !issuerSeen) {
      issuerSeen = true;
      if (data.length >= 8) facts.recordedKeyId = data.subarray(0, 8).toString('hex').toUpperCase();
    }
    const fprLength = data[0] === 4 ? 21 : data[0] === 6 ? 33 : 0;
    if (type === 33 && data.length === fprLength) {
      facts.issuerFingerprint ??= data.subarray(1).toString('hex').toUpperCase();
    }
    // As gpg: a critical subpacket it does not handle, in either area, voids the signature.
    if (sub.type & 0x80 && !handledCritical(sig, type, data)) facts.unknownCritical ??= type;
    if (!hashed) return;
    if (type === 2) facts.created = u32(data);
    if (type === 3) facts.expiresAfter = u32(data);
    if (type === 9) facts.keyExpiresAfter = u32(data);
    if (type === 27 && data.length >= 1) facts.keyFlags = data[0];
    if (type === 25 && data.length === 1) facts.primaryUserId = data[0] !== 0;
    if (type === 29 && data.length >= 1) {
      facts.revocationReason = { code: data[0] as number, text: data.subarray(1).toString('utf8') };
    }
    if (type === 32 && sub.embedded) facts.embedded = sub.embedded;
  };
  for (const sub of sig.hashed) read(sub, true);
  for (const sub of sig.unhashed) read(sub, false);
  // The embedded back-signature of gpg sits in the unhashed area: it is signed by itself.
  for (const sub of sig.unhashed)
    if ((sub.type & 0x7f) === 32 && sub.embedded) facts.embedded ??= sub.embedded;
  return facts;
}

/**
 * The key ID a signature names as its issuer, as GnuPG 2.2 reads it: the issuer key ID
 * subpacket (hashed area first). A signature that names its issuer only by fingerprint is
 * not matched, as GnuPG 2.2 does not; a fingerprint that disagrees with the key ID voids it.
 */
export function issuerOf(facts: SignatureFacts): string | undefined {
  // A version 6 fingerprint (SHA-256) names its key ID as its first eight octets.
  if (facts.issuerFingerprint?.length === 64) {
    const fromV6 = facts.issuerFingerprint.slice(0, 16);
    return facts.issuerKeyId && facts.issuerKeyId !== fromV6 ? undefined : fromV6;
  }
  const fromFpr = facts.issuerFingerprint?.slice(-16);
  if (facts.issuerKeyId && fromFpr && facts.issuerKeyId !== fromFpr) return undefined;
  return facts.issuerKeyId;
}
