/**
 * Key validity, decided by the host: self-signatures on user IDs, subkey bindings with their
 * back-signatures, revocations and expiration (RFC 9580 sections 5.2.1, 10.1, 5.2.3.13).
 */
import { createHash } from 'node:crypto';
import type { KeyDescription, KeyPacket, SignaturePacket } from '../contract.js';
import { PK_NAMES } from './algorithms.js';
import { encodeKey, encodeSignature, encodeUser, hashedPart, locate } from './encode.js';
import { type ImportedKey, importKey, SignatureHash } from './crypto.js';
import { factsOf, issuerOf, type SignatureFacts } from './subpackets.js';

/** What the host established about one key (primary or subkey). */
export interface PublicKeyInfo {
  /** Key packet version: 4, or 6 (RFC 9580). */
  version: 4 | 6;
  /** Fingerprint, hex, upper case (v4: SHA-1 of the key packet; v6: SHA-256). */
  fingerprint: string;
  /** Key ID: the fingerprint's last 16 hex digits (v4) or its first 16 (v6). */
  keyId: string;
  /** Public-key algorithm number (RFC 9580 9.1). */
  algorithm: number;
  /** The algorithm's name (`RSA`, `EdDSA`, `Ed25519`...). */
  algorithmName: string;
  /** Key size in bits (RSA modulus, curve size). */
  bits: number;
  /** Curve name as gpg prints it, for EC keys. */
  curve?: string;
  /** When the key says it was made. */
  created: Date;
  /** When the key expires, from its newest valid self-signature or binding; absent: never. */
  expires?: Date;
  /** The valid revocation, if any: when it was made and the reason it gives. */
  revoked?: {
    /** When the revocation signature was made. */
    at: Date;
    /** The reason's text, if it gives one. */
    reason?: string;
  };
  /** Key flags from the newest valid self-signature or binding (RFC 9580 5.2.3.29). */
  flags?: number;
  /** True when a self-signature (primary) or binding (subkey) verified. */
  bound: boolean;
  /** Why a signature on this key was not accepted, one line each. */
  problems: string[];
}

/** A user ID and whether its self-signature verified. */
export interface UserIdInfo {
  /** The user ID as stored (UTF-8). */
  userId: string;
  /** True when a self-signature on it verified. */
  valid: boolean;
  /** True when a valid revocation is newer than its newest self-signature. */
  revoked: boolean;
  /** True for the key's primary user ID (as gpg chooses it). */
  primary: boolean;
}

/** A subkey: its facts, and for a signing subkey whether its back-signature verified. */
export interface SubkeyInfo extends PublicKeyInfo {
  /** For a signing subkey: its embedded back-signature of the primary key verified. */
  crossCertified: boolean;
}

/** A whole key as the host established it. */
export interface KeyInfo extends PublicKeyInfo {
  /** User IDs, the primary first. */
  userIds: UserIdInfo[];
  /** Subkeys, in stored order. */
  subkeys: SubkeyInfo[];
}

/** A key usable for verification: its facts and the node:crypto key. */
export interface SigningKey {
  info: PublicKeyInfo;
  imported: ImportedKey;
  primary: KeyInfo;
}

/** A key packet as signatures and fingerprints hash it: 0x99 and two octets of length (v4), 0x9B and four (v6). */
const prefix = (version: 4 | 6, body: Buffer): Buffer => {
  const header = Buffer.alloc(version === 6 ? 5 : 3);
  header[0] = version === 6 ? 0x9b : 0x99;
  header.writeUIntBE(body.length, 1, header.length - 1);
  return Buffer.concat([header, body]);
};

/** A key that signs: its node:crypto form, algorithm and version. */
interface Signer {
  imported: ImportedKey;
  algorithm: number;
  version: 4 | 6;
}

/** Verifies `sig` by `key` over `parts` (already encoded), with the host's own hash. */
export function verifyOver(sig: SignaturePacket, key: Signer, parts: Buffer[]): boolean {
  // A key makes signatures of its own version only (RFC 9580 5.2.3).
  if (!sameAlgorithm(sig.pkAlgorithm, key.algorithm) || sig.version !== key.version) return false;
  let hash: SignatureHash;
  try {
    hash = new SignatureHash(sig);
  } catch {
    return false;
  }
  for (const part of parts) hash.update(part);
  return hash.check(hashedPart(sig, 'signature'), key.imported);
}

/** RSA keys of algorithm 1 and 3 make signatures of either number. */
export function sameAlgorithm(sigAlgorithm: number, keyAlgorithm: number): boolean {
  const rsa = (n: number) => n === 1 || n === 3;
  return sigAlgorithm === keyAlgorithm || (rsa(sigAlgorithm) && rsa(keyAlgorithm));
}

function describe(packet: KeyPacket, body: Buffer): { info: PublicKeyInfo; signer: Signer } {
  const v6 = packet.version === 6;
  const fingerprint = createHash(v6 ? 'sha256' : 'sha1')
    .update(prefix(packet.version, body))
    .digest('hex')
    .toUpperCase();
  const imported = importKey(packet.algorithm, packet.material);
  const info: PublicKeyInfo = {
    version: packet.version,
    fingerprint,
    keyId: v6 ? fingerprint.slice(0, 16) : fingerprint.slice(-16),
    algorithm: packet.algorithm,
    algorithmName: PK_NAMES[packet.algorithm] ?? `algorithm ${packet.algorithm}`,
    bits: imported.bits,
    created: new Date(packet.created * 1000),
    bound: false,
    problems: [],
  };
  if (imported.curve) info.curve = imported.curve;
  return { info, signer: { imported, algorithm: packet.algorithm, version: packet.version } };
}

/** A verified signature with its facts. */
interface Checked {
  sig: SignaturePacket;
  facts: SignatureFacts & { created: number };
}

/**
 * The signatures of `sigs` that count, as gpg's import keeps them: of version 4 signatures
 * that are copies (the same algorithm and values, whatever their subpackets say, even the
 * issuer's key ID) it keeps the last one only ('duplicate signature removed'), even where
 * an earlier copy verifies and the last does not.
 */
function lastCopies(sigs: SignaturePacket[]): Set<SignaturePacket> {
  const byCopy = new Map<string, SignaturePacket>();
  const kept = new Set<SignaturePacket>();
  for (const sig of sigs) {
    if (sig.version !== 4) kept.add(sig);
    else {
      const copy = `${sig.pkAlgorithm}:${JSON.stringify(sig.values)}`;
      byCopy.set(copy, sig);
    }
  }
  for (const sig of byCopy.values()) kept.add(sig);
  return kept;
}

/** The signatures of `sigs` of `types` that `key` made over `parts` and that verify. */
function valid(
  sigs: SignaturePacket[],
  types: number[],
  key: Signer,
  issuer: string | undefined,
  parts: Buffer[],
  problems: string[],
): Checked[] {
  const out: Checked[] = [];
  const last = lastCopies(sigs);
  for (const sig of sigs) {
    if (!types.includes(sig.type)) continue;
    const facts = factsOf(sig);
    const what = `signature type 0x${sig.type.toString(16)}`;
    if (!last.has(sig)) {
      problems.push(`${what}: a copy of a later signature, which counts instead`);
      continue;
    }
    // As gpg: a self-signature must name the key as its issuer, or it is someone else's; a
    // version 4 one by the key ID gpg records for it (a fingerprint alone does not do there).
    const named =
      issuerOf(facts) === issuer && (sig.version === 6 || facts.recordedKeyId === issuer);
    if (issuer !== undefined && !named) problems.push(`${what}: issued by another key`);
    else if (facts.created === undefined) problems.push(`${what}: no creation time`);
    else if (facts.unknownCritical !== undefined)
      problems.push(`${what}: unknown critical subpacket ${facts.unknownCritical}`);
    else if (!verifyOver(sig, key, parts)) problems.push(`${what}: does not verify`);
    else out.push({ sig, facts: facts as Checked['facts'] });
  }
  return out.sort((a, b) => a.facts.created - b.facts.created);
}

const date = (seconds: number): Date => new Date(seconds * 1000);

function applySelfSig(info: PublicKeyInfo, created: number, latest: Checked | undefined): void {
  if (!latest) return;
  info.bound = true;
  const after = latest.facts.keyExpiresAfter;
  if (after) info.expires = date(created + after);
  else delete info.expires;
  if (latest.facts.keyFlags !== undefined) info.flags = latest.facts.keyFlags;
}

function applyRevocation(info: PublicKeyInfo, revocations: Checked[]): void {
  const first = revocations[0];
  if (!first) return;
  info.revoked = { at: date(first.facts.created) };
  if (first.facts.revocationReason?.text) info.revoked.reason = first.facts.revocationReason.text;
}

/**
 * Establishes one key from its description: every packet re-encoded and found in the input,
 * every signature verified by the host. Returns the key and its keys usable for signing.
 */
export function establishKey(
  description: KeyDescription,
  blocks: readonly Buffer[],
  path: string,
): { key: KeyInfo; signing: SigningKey[] } {
  const { primary } = description;
  const body = locate(blocks, primary, encodeKey(primary, `${path}.primary`), `${path}.primary`);
  const self = describe(primary, body);
  const key: KeyInfo = { ...self.info, userIds: [], subkeys: [] };
  const keyPart = prefix(primary.version, body);
  const checkLocated = (sig: SignaturePacket, where: string) =>
    locate(blocks, sig, encodeSignature(sig, where), where);
  description.sigs.forEach((sig, i) => checkLocated(sig, `${path}.sigs[${i}]`));
  const direct = valid(description.sigs, [0x1f], self.signer, key.keyId, [keyPart], key.problems);
  applyRevocation(
    key,
    valid(description.sigs, [0x20], self.signer, key.keyId, [keyPart], key.problems),
  );
  const candidates: { uid?: UserIdInfo; sig: Checked }[] = direct.map((sig) => ({ sig }));
  description.users.forEach(({ user, sigs }, u) => {
    const where = `${path}.users[${u}]`;
    const data = locate(blocks, user, encodeUser(user), `${where}.user`);
    sigs.forEach((sig, i) => checkLocated(sig, `${where}.sigs[${i}]`));
    const header = Buffer.alloc(5);
    header[0] = user.tag === 13 ? 0xb4 : 0xd1;
    header.writeUInt32BE(data.length, 1);
    const parts = [keyPart, header, data];
    const certs = valid(
      sigs,
      [0x10, 0x11, 0x12, 0x13],
      self.signer,
      key.keyId,
      parts,
      key.problems,
    );
    const revocations = valid(sigs, [0x30], self.signer, key.keyId, parts, key.problems);
    const latest = certs.at(-1);
    const revoked = revocations.some((r) => !latest || r.facts.created >= latest.facts.created);
    const info: UserIdInfo = {
      userId: data.toString('utf8'),
      valid: latest !== undefined,
      revoked,
      primary: false,
    };
    if (user.tag === 13) key.userIds.push(info);
    if (latest && !revoked)
      candidates.push({ uid: user.tag === 13 ? info : undefined, sig: latest });
  });
  // As gpg: the primary user ID is the one flagged primary, else the newest self-signed one;
  // its self-signature gives the key's expiration and flags.
  const rank = (c: (typeof candidates)[number]) => [
    c.uid && c.sig.facts.primaryUserId ? 1 : 0,
    c.uid ? 1 : 0,
    c.sig.facts.created,
  ];
  candidates.sort((a, b) => {
    const [x, y] = [rank(a), rank(b)];
    return (
      (x[0] as number) - (y[0] as number) ||
      (x[1] as number) - (y[1] as number) ||
      (x[2] as number) - (y[2] as number)
    );
  });
  const chosen = candidates.at(-1);
  if (chosen?.uid) {
    chosen.uid.primary = true;
    key.userIds.sort((a, b) => Number(b.primary) - Number(a.primary));
  }
  // Version 6: a direct-key self-signature is required, and the newest alone gives the key's
  // expiration and flags (RFC 9580 10.1.1); user ID self-signatures do not stand in for it.
  applySelfSig(key, primary.created, primary.version === 6 ? direct.at(-1) : chosen?.sig);
  const signing: SigningKey[] = [];
  if (key.bound) signing.push({ info: key, imported: self.signer.imported, primary: key });
  description.subkeys.forEach(({ key: packet, sigs }, s) => {
    const where = `${path}.subkeys[${s}]`;
    const subBody = locate(blocks, packet, encodeKey(packet, `${where}.key`), `${where}.key`);
    sigs.forEach((sig, i) => checkLocated(sig, `${where}.sigs[${i}]`));
    const sub = describe(packet, subBody);
    const info: SubkeyInfo = { ...sub.info, crossCertified: false };
    const parts = [keyPart, prefix(packet.version, subBody)];
    const bindings = valid(sigs, [0x18], self.signer, key.keyId, parts, info.problems);
    applyRevocation(info, valid(sigs, [0x28], self.signer, key.keyId, parts, info.problems));
    const latest = bindings.at(-1);
    applySelfSig(info, packet.created, latest);
    // Without key flags, usage follows the algorithm: a key that can sign must be treated as signing.
    const signs = info.flags === undefined || (info.flags & 0x02) !== 0;
    if (latest && signs) {
      // A signing subkey must sign the primary back (0x19), or anyone could claim it.
      const back = latest.facts.embedded;
      const checked = back
        ? valid([back], [0x19], sub.signer, undefined, parts, info.problems)
        : [];
      info.crossCertified = checked.length > 0;
      if (!info.crossCertified) info.problems.push('signing subkey without a valid back-signature');
    }
    key.subkeys.push(info);
    if (info.bound && key.bound && signs && info.crossCertified)
      signing.push({ info, imported: sub.signer.imported, primary: key });
  });
  return { key, signing };
}
