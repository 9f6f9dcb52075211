/**
 * Re-encoding: the host turns each packet the handler described back into bytes and checks
 * that exactly those bytes are in the input where the handler said. What the host then
 * hashes, fingerprints and verifies is its own encoding of those fields, so a description
 * that does not match the input cannot be used.
 */
import type {
  Field,
  KeyPacket,
  Located,
  SignaturePacket,
  Subpacket,
  UserPacket,
} from '../contract.js';
import { lie } from './check.js';

const b = (value: string): Buffer => Buffer.from(value, 'base64');

function be(value: number, width: number): Buffer {
  const out = Buffer.alloc(width);
  out.writeUIntBE(value, 0, width);
  return out;
}

/** A field as stored: an MPI with its bit count, an OID or short field with its length. */
export function encodeField(field: Field, path: string): Buffer {
  if ('mpi' in field) {
    const data = b(field.mpi.data);
    if (data.length !== Math.ceil(field.mpi.bits / 8))
      lie(path, 'MPI length does not match its bits');
    const top = data[0] ?? 0;
    // The bit count must be exact, as the encoding is (gpg refuses other counts too).
    if (data.length > 0 && 32 - Math.clz32(top) !== ((field.mpi.bits - 1) % 8) + 1) {
      lie(path, 'MPI bit count does not match its first byte');
    }
    return Buffer.concat([be(field.mpi.bits, 2), data]);
  }
  if ('oid' in field || 'short' in field) {
    const data = b('oid' in field ? field.oid : field.short);
    if (data.length > 254) lie(path, 'field too long');
    return Buffer.concat([be(data.length, 1), data]);
  }
  return b(field.raw);
}

/** The body of a version 4 key packet. */
export function encodeKey(key: KeyPacket, path: string): Buffer {
  return Buffer.concat([
    Uint8Array.of(4),
    be(key.created, 4),
    be(key.algorithm, 1),
    ...key.material.map((field, i) => encodeField(field, `${path}.material[${i}]`)),
  ]);
}

function encodeSubpackets(list: Subpacket[], path: string): Buffer {
  const parts = list.map((sub, i) => {
    const data = b(sub.data);
    const size = data.length + 1;
    let length: Buffer;
    if (sub.lengthBytes === 1 && size < 192) length = be(size, 1);
    else if (sub.lengthBytes === 2 && size >= 192 && size < 16320) {
      length = be(((size - 192) | 0xc000) >>> 0, 2);
    } else if (sub.lengthBytes === 5) length = Buffer.concat([Uint8Array.of(255), be(size, 4)]);
    else lie(`${path}[${i}]`, 'subpacket length encoding does not fit its size');
    if (sub.embedded) {
      if ((sub.type & 0x7f) !== 32) lie(`${path}[${i}]`, 'embedded signature in another subpacket');
      if (!encodeSignature(sub.embedded, `${path}[${i}].embedded`).equals(data)) {
        lie(`${path}[${i}]`, 'embedded signature does not match the subpacket');
      }
    }
    return Buffer.concat([length, be(sub.type, 1), data]);
  });
  const out = Buffer.concat(parts);
  if (out.length > 0xffff) lie(path, 'subpacket area over 65535 bytes');
  return out;
}

/** The hashed part of a v4 signature: version, type, algorithms, hashed subpackets. */
export function hashedPart(sig: SignaturePacket, path: string): Buffer {
  const hashed = encodeSubpackets(sig.hashed, `${path}.hashed`);
  return Buffer.concat([
    Uint8Array.of(4, sig.type, sig.pkAlgorithm, sig.hashAlgorithm),
    be(hashed.length, 2),
    hashed,
  ]);
}

/** The body of a version 4 signature packet. */
export function encodeSignature(sig: SignaturePacket, path: string): Buffer {
  const unhashed = encodeSubpackets(sig.unhashed, `${path}.unhashed`);
  const left16 = b(sig.left16);
  if (left16.length !== 2) lie(`${path}.left16`, 'expected two bytes');
  return Buffer.concat([
    hashedPart(sig, path),
    be(unhashed.length, 2),
    unhashed,
    left16,
    ...sig.values.map((field, i) => encodeField(field, `${path}.values[${i}]`)),
  ]);
}

/** The bytes of a user ID or user attribute packet. */
export function encodeUser(user: UserPacket): Buffer {
  return b(user.data);
}

/**
 * Checks that `encoded` is in block `where.block` at `where.at`, and returns it: the proof that
 * the handler described bytes of this input, not bytes from anywhere else.
 */
export function locate(
  blocks: readonly Buffer[],
  where: Located,
  encoded: Buffer,
  path: string,
): Buffer {
  const bytes = blocks[where.block];
  if (!bytes || where.at < 0 || where.at + encoded.length > bytes.length) {
    lie(path, 'packet location out of range');
  }
  if (!bytes.subarray(where.at, where.at + encoded.length).equals(encoded)) {
    lie(path, 'packet not found at its location in the input');
  }
  return encoded;
}
