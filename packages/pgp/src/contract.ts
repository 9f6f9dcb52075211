/**
 * The contract between the host and the handler of `@umd/pgp`: the operations a request
 * names and the normalized descriptions a reply holds. Host and handler both import it.
 * Pure: no Node imports.
 *
 * A request is one operation byte followed by the untrusted input. A reply is UTF-8 JSON of
 * the description below, byte strings in base64. The host trusts none of it: it checks every
 * field's range, re-encodes every packet it uses and finds those exact bytes in the input.
 */

/** Name of the driver: HELLO name, loader and manager name. */
export const DRIVER_NAME = 'pgp';

/** The operations a request can name (its first byte). */
export const Op = {
  /** Parse transferable public keys (a keyring), binary or armored. */
  KEYS: 1,
  /** Parse one or more signature packets (a detached signature), binary or armored. */
  SIGNATURES: 2,
  /** Parse a cleartext-signed message. */
  CLEARTEXT: 3,
  /** Parse an inline-signed (one-pass) message, possibly compressed. */
  INLINE: 4,
  /** Parse the lead, signature header and main header of an RPM package. */
  RPM: 5,
} as const;

/** One of {@link Op}. */
export type OpCode = (typeof Op)[keyof typeof Op];

/** The handler's error code for input it cannot parse (EBADMSG). */
export const EBADMSG = -74;

/** The handler's error code for well-formed input in a format it does not read (EOPNOTSUPP). */
export const EOPNOTSUPP = -95;

/** Largest input one request may carry (keys, signatures, messages, RPM headers). */
export const MAX_INPUT = 64 * 1024 * 1024;

/** Base64 of a byte string. */
export type B64 = string;

/**
 * Where a packet's body lies: in block `block` (see {@link Blocks}) at byte `at` of that
 * block's binary form. The host re-encodes the packet and compares it with those bytes.
 */
export interface Located {
  block: number;
  at: number;
}

/**
 * How the input is made of binary blocks: `binary` is a range of the input used as it is,
 * `armor` a range of base64 text (the host decodes it with Node's decoder), `inflate` a range
 * of another block holding a compressed body (the host inflates it), `raw` is the whole
 * input (for RPM).
 */
export type Block =
  | { kind: 'binary'; start: number; end: number }
  | { kind: 'armor'; start: number; end: number }
  | { kind: 'inflate'; algorithm: 1 | 2; block: number; spans: Span[] };

/** The blocks of one input, by index. */
export type Blocks = Block[];

/** A byte range `[start, end)`. */
export type Span = [number, number];

/** An MPI as stored: its bit count and its bytes (big-endian, ceil(bits / 8) of them). */
export interface MpiField {
  mpi: { bits: number; data: B64 };
}
/** A curve OID as stored after its one-byte length. */
export interface OidField {
  oid: B64;
}
/** Bytes stored with a one-byte length prefix (ECDH KDF parameters). */
export interface ShortField {
  short: B64;
}
/** Bytes stored as they are (v6 native EdDSA keys and signatures, unknown material). */
export interface RawField {
  raw: B64;
}
/** One field of key material or of a signature value, in stored order. */
export type Field = MpiField | OidField | ShortField | RawField;

/**
 * A key packet (tag 6 primary or 14 subkey): version 4, or version 6 (RFC 9580 5.5.2.3,
 * whose material follows its four-octet length).
 */
export interface KeyPacket extends Located {
  tag: 6 | 14;
  version: 4 | 6;
  created: number;
  algorithm: number;
  material: Field[];
}

/** A signature subpacket: its length encoding width, its type octet (critical bit included), its body. */
export interface Subpacket {
  lengthBytes: 1 | 2 | 5;
  type: number;
  data: B64;
  /** For an embedded signature (type 32): the signature inside, described like any other. */
  embedded?: SignaturePacket;
}

/**
 * A signature packet, version 4 or 6 (RFC 9580 5.2.3: four-octet subpacket area lengths and
 * a salt). `at` is -1 for an embedded signature.
 */
export interface SignaturePacket extends Located {
  version: 4 | 6;
  type: number;
  pkAlgorithm: number;
  hashAlgorithm: number;
  hashed: Subpacket[];
  unhashed: Subpacket[];
  left16: B64;
  /** Version 6 only: the salt, hashed before everything else. */
  salt?: B64;
  values: Field[];
}

/** A user ID (tag 13) or user attribute (tag 17) packet. */
export interface UserPacket extends Located {
  tag: 13 | 17;
  data: B64;
}

/** A transferable public key: its primary key, the packets that follow, in order. */
export interface KeyDescription {
  primary: KeyPacket;
  /** Signatures directly on the primary key (direct-key, revocation). */
  sigs: SignaturePacket[];
  users: { user: UserPacket; sigs: SignaturePacket[] }[];
  subkeys: { key: KeyPacket; sigs: SignaturePacket[] }[];
}

/** Reply to {@link Op.KEYS}. */
export interface KeysReply {
  blocks: Blocks;
  keys: KeyDescription[];
}

/** Reply to {@link Op.SIGNATURES}. */
export interface SignaturesReply {
  blocks: Blocks;
  signatures: SignaturePacket[];
}

/**
 * Reply to {@link Op.CLEARTEXT}: where the dash-escaped text lies in the input (the line
 * break before the signature's armor excluded), and the signatures of its armor.
 */
export interface CleartextReply {
  blocks: Blocks;
  text: Span;
  hashes: string[];
  signatures: SignaturePacket[];
}

/**
 * Reply to {@link Op.INLINE}: the literal data's body as spans of one block (partial body
 * lengths give several), its format octet, and the signatures that follow it.
 */
export interface InlineReply {
  blocks: Blocks;
  literal: { block: number; spans: Span[]; format: number };
  onePass: number;
  signatures: SignaturePacket[];
}

/** One entry of an RPM header index, as the handler read it. */
export interface RpmEntry {
  /** Position of the entry in the index (0-based). */
  index: number;
  tag: number;
  type: number;
  offset: number;
  count: number;
  /** The value: strings (latin1, byte for byte) for string types, numbers for integer types, base64 for BIN. */
  value: string[] | number[] | B64;
}

/** One RPM header (signature or main): where it lies and the entries the host asked for. */
export interface RpmHeader {
  /** Offset of the header's magic in the file. */
  start: number;
  indexCount: number;
  dataLength: number;
  entries: RpmEntry[];
}

/** Reply to {@link Op.RPM}: the lead's name, both headers, the payload's offset. */
export interface RpmReply {
  name: string;
  signature: RpmHeader;
  header: RpmHeader;
  payloadStart: number;
  /** One binary block: the input (the start of the file). */
  blocks: Blocks;
  /** Signature packets found in the signature header's tags, with their tag. */
  signatures: { tag: number; packet: SignaturePacket }[];
}

/** The RPM tags whose entries the handler reports. */
export const RpmTag = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  ARCH: 1022,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILEDIGESTS: 1035,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  FILEDIGESTALGO: 5011,
  PAYLOADDIGEST: 5092,
  PAYLOADDIGESTALGO: 5093,
  /** Signature header: OpenPGP signature over the main header (RSA). */
  SIG_RSA: 268,
  /** Signature header: OpenPGP signature over the main header (DSA, EdDSA, ECDSA). */
  SIG_DSA: 267,
  /** Signature header: SHA-256 of the main header, hex. */
  SIG_SHA256: 273,
  /** Signature header: SHA-1 of the main header, hex. */
  SIG_SHA1: 269,
  /** Signature header: OpenPGP signature over header and payload (legacy, RSA). */
  SIG_PGP: 1002,
  /** Signature header: OpenPGP signature over header and payload (legacy, DSA). */
  SIG_GPG: 1005,
  /** Signature header: MD5 of header and payload. */
  SIG_MD5: 1004,
} as const;

/** Tags reported from the signature header. */
export const RPM_SIGNATURE_TAGS: readonly number[] = [
  RpmTag.SIG_SHA1,
  RpmTag.SIG_RSA,
  RpmTag.SIG_DSA,
  RpmTag.SIG_SHA256,
  RpmTag.SIG_PGP,
  RpmTag.SIG_GPG,
  RpmTag.SIG_MD5,
];

/** Tags reported from the main header. */
export const RPM_HEADER_TAGS: readonly number[] = [
  RpmTag.NAME,
  RpmTag.VERSION,
  RpmTag.RELEASE,
  RpmTag.ARCH,
  RpmTag.FILESIZES,
  RpmTag.FILEMODES,
  RpmTag.FILEDIGESTS,
  RpmTag.DIRINDEXES,
  RpmTag.BASENAMES,
  RpmTag.DIRNAMES,
  RpmTag.FILEDIGESTALGO,
  RpmTag.PAYLOADDIGEST,
  RpmTag.PAYLOADDIGESTALGO,
];

/** Encodes a request: the operation byte, then the input. */
export function encodeRequest(op: OpCode, input: Uint8Array): Uint8Array {
  const request = new Uint8Array(input.length + 1);
  request[0] = op;
  request.set(input, 1);
  return request;
}
