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

/** The body of a key packet (version 6 states its material's length). */
export function encodeKey(key: KeyPacket, path: string): Buffer {
  const material = Buffer.concat(
    key.material.map((field, i) => encodeField(field, `${path}.material[${i}]`)),
  );
  return Buffer.concat([
    Uint8Array.of(key.version),
    be(key.created, 4),
    be(key.algorithm, 1),
    key.version === 6 ? be(material.length, 4) : Buffer.alloc(0),
    material,
  ]);
}

/** A subpacket area with its length: two octets in version 4, four in version 6. */
function encodeArea(list: Subpacket[], version: 4 | 6, path: string): Buffer {
  const area = encodeSubpackets(list, path);
  if (version === 4 && area.length > 0xffff) lie(path, 'subpacket area over 65535 bytes');
  return Buffer.concat([be(area.length, version === 6 ? 4 : 2), area]);
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
  return Buffer.concat(parts);
}

/** The hashed part of a signature: version, type, algorithms, hashed subpacket area. */
export function hashedPart(sig: SignaturePacket, path: string): Buffer {
  return Buffer.concat([
    Uint8Array.of(sig.version, sig.type, sig.pkAlgorithm, sig.hashAlgorithm),
    encodeArea(sig.hashed, sig.version, `${path}.hashed`),
  ]);
}

/** The salt of a version 6 signature (empty in version 4), checked against the version. */
export function saltOf(sig: SignaturePacket, path: string): Buffer {
  if ((sig.version === 6) !== (sig.salt !== undefined))
    lie(`${path}.salt`, 'salt and version disagree');
  const salt = b(sig.salt ?? '');
  if (salt.length > 255) lie(`${path}.salt`, 'salt too long');
  return salt;
}

/** The body of a signature packet. */
export function encodeSignature(sig: SignaturePacket, path: string): Buffer {
  const left16 = b(sig.left16);
  if (left16.length !== 2) lie(`${path}.left16`, 'expected two bytes');
  const salt = saltOf(sig, path);
  return Buffer.concat([
    hashedPart(sig, path),
    encodeArea(sig.unhashed, sig.version, `${path}.unhashed`),
    left16,
    sig.version === 6 ? Buffer.concat([be(salt.length, 1), salt]) : Buffer.alloc(0),
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
