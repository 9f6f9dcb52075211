/**
 * Signature verification with node:crypto: key import (JWK) and the hash of a signature,
 * which the host computes itself over the salt (version 6), the signed data and the trailer
 * (RFC 9580 5.2.4).
 */
import {
  constants,
  createHash,
  createPublicKey,
  createVerify,
  type Hash,
  type KeyObject,
  publicDecrypt,
  verify,
  type Verify,
} from 'node:crypto';
import type { Field, SignaturePacket } from '../contract.js';
import { CURVES, ecdsaSize, HASHES, SALT_SIZES } from './algorithms.js';

/** A public key as node:crypto holds it, or why it cannot be used. */
export interface ImportedKey {
  /** Key size in bits (RSA modulus, curve field). */
  bits: number;
  /** The curve name as gpg prints it, for EC keys. */
  curve?: string;
  /** The key, when node:crypto can verify with it. */
  key?: KeyObject;
  /** Why it cannot be used to verify, when it cannot. */
  unsupported?: string;
}

const bytesOf = (field: Field | undefined): Buffer | undefined => {
  if (!field) return undefined;
  if ('mpi' in field) return Buffer.from(field.mpi.data, 'base64');
  if ('raw' in field) return Buffer.from(field.raw, 'base64');
  if ('oid' in field) return Buffer.from(field.oid, 'base64');
  return Buffer.from(field.short, 'base64');
};

const bitsOf = (field: Field | undefined): number => (field && 'mpi' in field ? field.mpi.bits : 0);

const url = (bytes: Buffer): string => bytes.toString('base64url');

function strip(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function pad(bytes: Buffer, size: number): Buffer | undefined {
  const s = strip(bytes);
  if (s.length > size) return undefined;
  return Buffer.concat([Buffer.alloc(size - s.length), s]);
}

function jwk(jwk: Record<string, string>): KeyObject {
  return createPublicKey({ key: jwk, format: 'jwk' });
}

/** One DER element: tag, definite length, content. */
function der(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const length =
    n < 0x80
      ? Buffer.from([n])
      : Buffer.from([0x80 | (n > 0xff ? 2 : 1), ...(n > 0xff ? [n >> 8] : []), n & 0xff]);
  if (n > 0xffff) throw new RangeError('DER element too long');
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** A DER INTEGER of an unsigned big-endian value. */
function derInteger(value: Buffer): Buffer {
  const v = strip(value);
  return der(0x02, (v[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), v]) : v);
}

/**
 * A SubjectPublicKeyInfo (RFC 5280 4.1): the AlgorithmIdentifier's content (OID and
 * parameters, already DER) and the public key as a BIT STRING with no unused bits.
 */
function spkiKey(algorithmIdentifier: Buffer, publicKey: Buffer): KeyObject {
  const key = der(0x03, Buffer.concat([Buffer.alloc(1), publicKey]));
  return createPublicKey({
    key: der(0x30, Buffer.concat([der(0x30, algorithmIdentifier), key])),
    format: 'der',
    type: 'spki',
  });
}

/** DSA has no JWK form: its SubjectPublicKeyInfo (RFC 3279 2.3.2), built from p, q, g, y. */
function dsaKey(p: Buffer, q: Buffer, g: Buffer, y: Buffer): KeyObject {
  const parameters = der(0x30, Buffer.concat([derInteger(p), derInteger(q), derInteger(g)]));
  return spkiKey(
    Buffer.concat([der(0x06, Buffer.from('2a8648ce380401', 'hex')), parameters]),
    derInteger(y),
  );
}

/** An EC public key's SubjectPublicKeyInfo (RFC 5480): id-ecPublicKey, the curve, the point. */
function ecKey(oid: Buffer, point: Buffer): KeyObject {
  return spkiKey(
    Buffer.concat([der(0x06, Buffer.from('2a8648ce3d0201', 'hex')), der(0x06, oid)]),
    point,
  );
}

/** Imports key material (fields in stored order) of `algorithm`. */
export function importKey(algorithm: number, material: Field[]): ImportedKey {
  try {
    if (algorithm === 1 || algorithm === 2 || algorithm === 3) {
      const [n, e] = [bytesOf(material[0]), bytesOf(material[1])];
      const bits = bitsOf(material[0]);
      if (!n || !e) return { bits, unsupported: 'RSA key without n or e' };
      if (algorithm === 2) return { bits, unsupported: 'RSA encrypt-only key' };
      return { bits, key: jwk({ kty: 'RSA', n: url(strip(n)), e: url(strip(e)) }) };
    }
    if (algorithm === 17) {
      const [p, q, g, y] = material.map(bytesOf);
      const bits = bitsOf(material[0]);
      if (!p || !q || !g || !y) return { bits, unsupported: 'DSA key without p, q, g or y' };
      return { bits, key: dsaKey(p, q, g, y) };
    }
    if (algorithm === 25 || algorithm === 26) {
      const curve = algorithm === 25 ? 'cv25519' : 'cv448';
      return {
        bits: algorithm === 25 ? 255 : 448,
        curve,
        unsupported: `${curve} is for encryption`,
      };
    }
    if (algorithm === 16 || algorithm === 20) {
      return { bits: bitsOf(material[0]), unsupported: 'Elgamal is for encryption' };
    }
    if (algorithm === 27 || algorithm === 28) {
      const x = bytesOf(material[0]) as Buffer;
      const crv = algorithm === 27 ? 'Ed25519' : 'Ed448';
      return {
        bits: algorithm === 27 ? 255 : 448,
        curve: crv.toLowerCase(),
        key: jwk({ kty: 'OKP', crv, x: url(x) }),
      };
    }
    if (algorithm === 18 || algorithm === 19 || algorithm === 22) {
      const oidBytes = bytesOf(material[0]) as Buffer;
      const oid = oidBytes.toString('hex');
      const curve = CURVES[oid];
      if (!curve) return { bits: 0, unsupported: `curve OID ${oid} is not known` };
      const info = { bits: curve.bits, curve: curve.name };
      if (algorithm === 18) return { ...info, unsupported: 'ECDH is for encryption' };
      const point = bytesOf(material[1]) as Buffer;
      if (algorithm === 22) {
        if (curve.name !== 'ed25519') return { ...info, unsupported: `EdDSA on ${curve.name}` };
        if (point.length !== 33 || point[0] !== 0x40)
          return { ...info, unsupported: 'bad EdDSA point' };
        return { ...info, key: jwk({ kty: 'OKP', crv: 'Ed25519', x: url(point.subarray(1)) }) };
      }
      if (!curve.ecdsa) return { ...info, unsupported: `ECDSA on ${curve.name}` };
      if (point.length !== 1 + 2 * curve.size || point[0] !== 4)
        return { ...info, unsupported: 'bad EC point' };
      return { ...info, key: ecKey(oidBytes, point) };
    }
    return {
      bits: bitsOf(material[0]),
      unsupported: `public-key algorithm ${algorithm} is not supported`,
    };
  } catch (error) {
    return { bits: 0, unsupported: `key rejected by node:crypto: ${(error as Error).message}` };
  }
}

/** The hash of one signature in progress: feed the signed data, then check it. */
export class SignatureHash {
  readonly #hash: Hash;
  readonly #verify: Verify | undefined;
  readonly #algorithm: (typeof HASHES)[number];

  /**
   * @throws Error when the hash algorithm is not one node:crypto offers here, or a version 6
   * signature's salt is not the size its hash requires.
   */
  constructor(readonly sig: SignaturePacket) {
    const algorithm = HASHES[sig.hashAlgorithm];
    if (!algorithm) throw new Error(`hash algorithm ${sig.hashAlgorithm} is not supported`);
    const salt = Buffer.from(sig.salt ?? '', 'base64');
    if (sig.version === 6 && salt.length !== SALT_SIZES[sig.hashAlgorithm]) {
      throw new Error(`a salt of ${salt.length} bytes does not fit hash ${algorithm.name}`);
    }
    this.#algorithm = algorithm;
    this.#hash = createHash(algorithm.node);
    // DSA and ECDSA in node:crypto hash the message themselves: a second hash beside ours.
    const hashing = sig.pkAlgorithm === 17 || sig.pkAlgorithm === 19;
    this.#verify = hashing ? createVerify(algorithm.node) : undefined;
    // Version 6: the salt goes into the hash before anything else (RFC 9580 5.2.4).
    if (sig.version === 6) this.update(salt);
  }

  /** Feeds signed bytes (already canonical for text signatures). */
  update(chunk: Uint8Array): void {
    this.#hash.update(chunk);
    this.#verify?.update(chunk);
  }

  /**
   * Hashes the signature's hashed part and trailer, and verifies with `key`. True only when
   * the left 16 bits and the signature both match.
   */
  check(hashedPart: Buffer, key: ImportedKey): boolean {
    return this.#end(hashedPart, key, false) as boolean;
  }

  /**
   * As {@link check}, with EdDSA verified on libuv's thread pool, so that concurrent
   * verifications use every core while the event loop goes on.
   */
  async checkAsync(hashedPart: Buffer, key: ImportedKey): Promise<boolean> {
    return this.#end(hashedPart, key, true);
  }

  #end(hashedPart: Buffer, key: ImportedKey, async: boolean): boolean | Promise<boolean> {
    const trailer = Buffer.alloc(6);
    trailer[0] = this.sig.version;
    trailer[1] = 0xff;
    trailer.writeUInt32BE(hashedPart.length, 2);
    this.update(hashedPart);
    this.update(trailer);
    const digest = this.#hash.digest();
    if (!digest.subarray(0, 2).equals(Buffer.from(this.sig.left16, 'base64'))) return false;
    if (!key.key) return false;
    return verifyValues(this.sig, key.key, digest, this.#algorithm.info, async, this.#verify);
  }
}

function verifyValues(
  sig: SignaturePacket,
  key: KeyObject,
  digest: Buffer,
  info: string,
  async: boolean,
  /** For DSA and ECDSA: node:crypto's own hash of the same bytes. */
  ecdsa?: Verify,
): boolean | Promise<boolean> {
  const values = sig.values.map(bytesOf) as Buffer[];
  try {
    switch (sig.pkAlgorithm) {
      case 1:
      case 3: {
        if (key.asymmetricKeyType !== 'rsa' || values.length !== 1) return false;
        const size = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
        const s = pad(values[0] as Buffer, size);
        if (!s) return false;
        const recovered = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, s);
        return recovered.equals(Buffer.concat([Buffer.from(info, 'hex'), digest]));
      }
      case 22:
      case 27:
      case 28: {
        const type = key.asymmetricKeyType;
        const size = type === 'ed25519' ? 32 : type === 'ed448' ? 57 : 0;
        if (size === 0) return false;
        if (sig.pkAlgorithm === 22 && type !== 'ed25519') return false;
        const raw =
          sig.pkAlgorithm === 22
            ? Buffer.concat([
                pad(values[0] as Buffer, 32) ?? Buffer.alloc(0),
                pad(values[1] as Buffer, 32) ?? Buffer.alloc(0),
              ])
            : (values[0] as Buffer);
        if (raw.length !== 2 * size) return false;
        if (!async) return verify(null, digest, key, raw);
        return new Promise((resolve) => {
          verify(null, digest, key, raw, (error, ok) => resolve(!error && ok));
        });
      }
      case 17: {
        if (key.asymmetricKeyType !== 'dsa' || !ecdsa || values.length !== 2) return false;
        // r and s are numbers below q: each as wide as q in the IEEE P1363 form.
        const size = Math.ceil((key.asymmetricKeyDetails?.divisorLength ?? 0) / 8);
        const r = pad(values[0] as Buffer, size);
        const s = pad(values[1] as Buffer, size);
        if (!r || !s || size === 0) return false;
        return ecdsa.verify({ key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
      }
      case 19: {
        if (key.asymmetricKeyType !== 'ec' || !ecdsa || values.length !== 2) return false;
        const size = ecdsaSize(key.asymmetricKeyDetails?.namedCurve);
        const r = pad(values[0] as Buffer, size);
        const s = pad(values[1] as Buffer, size);
        if (!r || !s || size === 0) return false;
        return ecdsa.verify({ key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, s]));
      }
      default:
        return false;
    }
  } catch {
    return false;
  }
}
