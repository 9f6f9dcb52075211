/** The algorithm numbers of RFC 9580 (sections 9.1 to 9.5) the host knows by name. */

/** Hash algorithms: node:crypto name, digest length, PKCS#1 DigestInfo prefix (hex). */
export const HASHES: Record<number, { name: string; node: string; length: number; info: string }> =
  {
    2: { name: 'SHA1', node: 'sha1', length: 20, info: '3021300906052b0e03021a05000414' },
    3: { name: 'RIPEMD160', node: 'ripemd160', length: 20, info: '3021300906052b2403020105000414' },
    8: {
      name: 'SHA256',
      node: 'sha256',
      length: 32,
      info: '3031300d060960864801650304020105000420',
    },
    9: {
      name: 'SHA384',
      node: 'sha384',
      length: 48,
      info: '3041300d060960864801650304020205000430',
    },
    10: {
      name: 'SHA512',
      node: 'sha512',
      length: 64,
      info: '3051300d060960864801650304020305000440',
    },
    11: {
      name: 'SHA224',
      node: 'sha224',
      length: 28,
      info: '302d300d06096086480165030402040500041c',
    },
    12: {
      name: 'SHA3-256',
      node: 'sha3-256',
      length: 32,
      info: '3031300d060960864801650304020805000420',
    },
    14: {
      name: 'SHA3-512',
      node: 'sha3-512',
      length: 64,
      info: '3051300d060960864801650304020a05000440',
    },
  };

/** The salt size a version 6 signature must have with each hash (RFC 9580 9.5). */
export const SALT_SIZES: Record<number, number> = { 8: 16, 9: 24, 10: 32, 11: 16, 12: 16, 14: 32 };

/** Public-key algorithm names. */
export const PK_NAMES: Record<number, string> = {
  1: 'RSA',
  2: 'RSA (encrypt only)',
  3: 'RSA (sign only)',
  16: 'Elgamal',
  17: 'DSA',
  18: 'ECDH',
  19: 'ECDSA',
  22: 'EdDSA',
  25: 'X25519',
  26: 'X448',
  27: 'Ed25519',
  28: 'Ed448',
};

/**
 * A curve: name as gpg prints it, node:crypto's name (ECDSA keys, imported as
 * SubjectPublicKeyInfo), field size in bytes, key size in bits as gpg prints it.
 */
interface Curve {
  name: string;
  ecdsa?: string;
  size: number;
  bits: number;
}

/** Curves by OID (hex). */
export const CURVES: Record<string, Curve> = {
  '2a8648ce3d030107': { name: 'nistp256', ecdsa: 'prime256v1', size: 32, bits: 256 },
  '2b81040022': { name: 'nistp384', ecdsa: 'secp384r1', size: 48, bits: 384 },
  '2b81040023': { name: 'nistp521', ecdsa: 'secp521r1', size: 66, bits: 521 },
  '2b8104000a': { name: 'secp256k1', ecdsa: 'secp256k1', size: 32, bits: 256 },
  '2b2403030208010107': { name: 'brainpoolP256r1', ecdsa: 'brainpoolP256r1', size: 32, bits: 256 },
  '2b240303020801010b': { name: 'brainpoolP384r1', ecdsa: 'brainpoolP384r1', size: 48, bits: 384 },
  '2b240303020801010d': { name: 'brainpoolP512r1', ecdsa: 'brainpoolP512r1', size: 64, bits: 512 },
  '2b06010401da470f01': { name: 'ed25519', size: 32, bits: 255 },
  '2b6571': { name: 'ed448', size: 57, bits: 448 },
  '2b060104019755010501': { name: 'cv25519', size: 32, bits: 255 },
  '2b656f': { name: 'cv448', size: 56, bits: 448 },
};

/** The field size in bytes of the ECDSA curve node:crypto calls `namedCurve`, or 0. */
export function ecdsaSize(namedCurve: string | undefined): number {
  return Object.values(CURVES).find((c) => c.ecdsa && c.ecdsa === namedCurve)?.size ?? 0;
}
