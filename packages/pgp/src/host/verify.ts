/**
 * Verdicts on signatures over data: which key, the host's own hash of the data, the
 * node:crypto check, then expiration and revocation. Decided here, never by the handler.
 */
import type { SignaturePacket } from '../contract.js';
import { HASHES, PK_NAMES } from './algorithms.js';
import { SignatureHash } from './crypto.js';
import { hashedPart } from './encode.js';
import { type SigningKey, sameAlgorithm } from './keys.js';
import { factsOf, issuerOf, type SignatureFacts } from './subpackets.js';
import { TextCanon } from './text.js';
import { untilAborted } from '../input.js';

/** The verdict on one signature, as gpg's status lines name them. */
export type SignatureStatus =
  /** GOODSIG: valid, by a valid key. */
  | 'good'
  /** BADSIG: does not verify over this data. */
  | 'bad'
  /** EXPKEYSIG: verifies, but the key (or its primary) has expired. */
  | 'expired-key'
  /** EXPSIG: verifies, but the signature itself has expired. */
  | 'expired-signature'
  /** REVKEYSIG: verifies, but the key (or its primary) is revoked. */
  | 'revoked-key'
  /** NO_PUBKEY: none of the given keys made it. */
  | 'no-public-key'
  /** ERRSIG: an algorithm, version or signature type this driver does not verify. */
  | 'unsupported';

/** The verdict on one signature, and what it was made with. */
export interface SignatureResult {
  /** The verdict. */
  status: SignatureStatus;
  /** Why the status is not `good`, in words. */
  reason?: string;
  /** Key ID of the signing key (from the key, or the signature's issuer when no key matched). */
  keyId: string;
  /** Fingerprint of the signing key (subkey or primary), when one matched. */
  fingerprint?: string;
  /** Fingerprint of the primary key, when one matched. */
  primaryFingerprint?: string;
  /** The primary user ID of the key, when one matched. */
  userId?: string;
  /** Signature type (0x00 binary, 0x01 text). */
  signatureType: number;
  /** Public-key algorithm number (RFC 9580 9.1). */
  pkAlgorithm: number;
  /** Its name. */
  pkAlgorithmName: string;
  /** Hash algorithm number (RFC 9580 9.5). */
  hashAlgorithm: number;
  /** Its name. */
  hashAlgorithmName: string;
  /** When the signature says it was made. */
  created?: Date;
  /** When the signature expires, if it does. */
  expires?: Date;
  /** True when the key had already expired when the signature was made. */
  keyExpiredAtSignature?: boolean;
}

/** One signature on its way to a verdict: the key found for it and its hash in progress. */
export class SignaturePlan {
  readonly facts: SignatureFacts;
  readonly key: SigningKey | undefined;
  readonly result: SignatureResult;
  #hash: SignatureHash | undefined;
  #text: TextCanon | undefined;

  constructor(
    readonly sig: SignaturePacket,
    keys: readonly SigningKey[],
  ) {
    this.facts = factsOf(sig);
    // As gpg: the key is looked up by the issuer's key ID; a fingerprint, if given, must agree.
    const fpr = this.facts.issuerFingerprint;
    const id = issuerOf(this.facts);
    this.key = keys.find((k) => k.info.keyId === id && (!fpr || k.info.fingerprint === fpr));
    this.result = {
      status: 'bad',
      keyId: this.key?.info.keyId ?? id ?? this.facts.issuerKeyId ?? '0000000000000000',
      signatureType: sig.type,
      pkAlgorithm: sig.pkAlgorithm,
      pkAlgorithmName: PK_NAMES[sig.pkAlgorithm] ?? `algorithm ${sig.pkAlgorithm}`,
      hashAlgorithm: sig.hashAlgorithm,
      hashAlgorithmName: HASHES[sig.hashAlgorithm]?.name ?? `algorithm ${sig.hashAlgorithm}`,
    };
    if (this.facts.created !== undefined) this.result.created = new Date(this.facts.created * 1000);
    if (this.facts.created !== undefined && this.facts.expiresAfter) {
      this.result.expires = new Date((this.facts.created + this.facts.expiresAfter) * 1000);
    }
    if (this.key) {
      this.result.fingerprint = this.key.info.fingerprint;
      this.result.primaryFingerprint = this.key.primary.fingerprint;
      const uid =
        this.key.primary.userIds.find((u) => u.primary && u.valid) ??
        this.key.primary.userIds.find((u) => u.valid);
      if (uid) this.result.userId = uid.userId;
    }
    if (sig.type !== 0x00 && sig.type !== 0x01) {
      this.#fail(
        'unsupported',
        `signature type 0x${sig.type.toString(16)} is not a data signature`,
      );
      return;
    }
    if (!this.key) {
      this.#fail('no-public-key', 'no given key made this signature');
      return;
    }
    if (!sameAlgorithm(sig.pkAlgorithm, this.key.info.algorithm)) {
      this.#fail('bad', 'algorithm differs from the key');
      return;
    }
    if (sig.version !== this.key.info.version) {
      this.#fail(
        'bad',
        `a version ${this.key.info.version} key made no version ${sig.version} signature`,
      );
      return;
    }
    if (!this.key.imported.key) {
      this.#fail('unsupported', this.key.imported.unsupported ?? 'key unusable');
      return;
    }
    try {
      this.#hash = new SignatureHash(sig);
    } catch (error) {
      this.#fail('unsupported', (error as Error).message);
      return;
    }
    if (sig.type === 0x01) this.#text = new TextCanon();
  }

  #fail(status: SignatureStatus, reason: string): void {
    this.result.status = status;
    this.result.reason = reason;
    this.#hash = undefined;
  }

  /** Feeds signed data as it stands (text signatures canonicalize it here). */
  update(chunk: Uint8Array): void {
    if (!this.#hash) return;
    this.#hash.update(this.#text ? this.#text.push(chunk) : chunk);
  }

  /** Ends the hash and decides. `now` in milliseconds. */
  async finish(now: number, offload = false): Promise<SignatureResult> {
    const hash = this.#hash;
    const key = this.key;
    if (!hash || !key) return this.result;
    this.#hash = undefined;
    const result = this.result;
    const signed = hashedPart(this.sig, 'signature');
    const ok = offload
      ? await hash.checkAsync(signed, key.imported)
      : hash.check(signed, key.imported);
    if (!ok) {
      this.#fail('bad', 'the signature does not verify over this data');
      return result;
    }
    const created = this.facts.created;
    if (created === undefined) {
      this.#fail('bad', 'the signature has no creation time');
      return result;
    }
    if (this.facts.unknownCritical !== undefined) {
      this.#fail('bad', `unknown critical subpacket ${this.facts.unknownCritical}`);
      return result;
    }
    if (created < key.info.created.getTime() / 1000) {
      this.#fail('bad', 'the signature is older than its key');
      return result;
    }
    const expiry = [key.info.expires, key.primary.expires].filter(
      (d): d is Date => d !== undefined,
    );
    if (expiry.some((d) => d.getTime() <= created * 1000)) result.keyExpiredAtSignature = true;
    const revoked = key.info.revoked ?? key.primary.revoked;
    if (expiry.some((d) => d.getTime() <= now)) this.#fail('expired-key', 'the key has expired');
    else if (result.expires && result.expires.getTime() <= now)
      this.#fail('expired-signature', 'the signature has expired');
    else if (revoked)
      this.#fail('revoked-key', `the key is revoked${revoked.reason ? `: ${revoked.reason}` : ''}`);
    else {
      result.status = 'good';
      delete result.reason;
    }
    return result;
  }
}

/**
 * Hashes `data` (chunks, in order) into every plan and decides each. Honours `signal`.
 * `offload`: verify EdDSA on libuv's thread pool (for many verifications at once).
 */
export async function decide(
  plans: readonly SignaturePlan[],
  data: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  now: number,
  signal?: AbortSignal,
  offload = false,
): Promise<SignatureResult[]> {
  for await (const chunk of untilAborted(data, signal)) {
    for (const plan of plans) plan.update(chunk);
  }
  return Promise.all(plans.map((plan) => plan.finish(now, offload)));
}
