/** The shapes of the handler's replies (see ../contract.ts), as range checks. */
import type {
  Block,
  CleartextReply,
  Field,
  InlineReply,
  KeyDescription,
  KeyPacket,
  KeysReply,
  RpmEntry,
  RpmHeader,
  RpmReply,
  SignaturePacket,
  SignaturesReply,
  Span,
  Subpacket,
  UserPacket,
} from '../contract.js';
import { MAX_INPUT } from '../contract.js';
import {
  array,
  type Check,
  int,
  lazy,
  lie,
  literal,
  object,
  optional,
  str,
  variant,
} from './check.js';

const U32 = 0xffffffff;
const OFFSET = int(-1, 2 ** 40);
const MANY = 1 << 20;
// Byte strings stay base64 here: the host decodes them where it re-encodes the packet.
const B64 = (max: number): Check<string> => {
  const shape = /^[A-Za-z0-9+/]*={0,2}$/;
  return (value, path) => {
    if (
      typeof value !== 'string' ||
      value.length > Math.ceil(max / 3) * 4 + 4 ||
      !shape.test(value)
    ) {
      lie(path, 'expected base64');
    }
    return value;
  };
};

const span: Check<Span> = (value, path) => {
  const [start, end] = array(OFFSET, 2)(value, path);
  if (start === undefined || end === undefined || start < 0 || end < start) lie(path, 'bad span');
  return [start, end];
};

const block: Check<Block> = (value, path) => {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'inflate') {
    return object({
      kind: literal('inflate'),
      algorithm: literal(1, 2),
      block: int(0, MANY),
      spans: array(span, MANY),
    })(value, path);
  }
  const range = object({ kind: literal('binary', 'armor'), start: OFFSET, end: OFFSET })(
    value,
    path,
  );
  if (range.start < 0 || range.end < range.start) lie(path, 'bad range');
  return range;
};

const field: Check<Field> = variant<Field>({
  mpi: object({ mpi: object({ bits: int(0, 16384), data: B64(2048) }) }),
  oid: object({ oid: B64(254) }),
  short: object({ short: B64(255) }),
  raw: object({ raw: B64(MAX_INPUT) }),
});

const located = { block: int(-1, MANY), at: OFFSET };

const subpacket: Check<Subpacket> = object({
  lengthBytes: literal(1, 2, 5),
  type: int(0, 255),
  data: B64(MAX_INPUT),
  embedded: optional(lazy(() => signature)),
});

const signature: Check<SignaturePacket> = object({
  ...located,
  version: literal(4, 6),
  type: int(0, 255),
  pkAlgorithm: int(0, 255),
  hashAlgorithm: int(0, 255),
  hashed: array(subpacket, 65535),
  unhashed: array(subpacket, 65535),
  left16: B64(2),
  salt: optional(B64(255)),
  values: array(field, 4),
});

const keyPacket: Check<KeyPacket> = object({
  ...located,
  tag: literal(6, 14),
  version: literal(4, 6),
  created: int(0, U32),
  algorithm: int(0, 255),
  material: array(field, 8),
});

const user: Check<UserPacket> = object({ ...located, tag: literal(13, 17), data: B64(MAX_INPUT) });

const key: Check<KeyDescription> = object({
  primary: keyPacket,
  sigs: array(signature, MANY),
  users: array(object({ user, sigs: array(signature, MANY) }), MANY),
  subkeys: array(object({ key: keyPacket, sigs: array(signature, MANY) }), MANY),
});

const blocks = array(block, 64);

/** Checks a reply to `Op.KEYS`. */
export const keysReply: Check<KeysReply> = object({ blocks, keys: array(key, MANY) });

/** Checks a reply to `Op.SIGNATURES`. */
export const signaturesReply: Check<SignaturesReply> = object({
  blocks,
  signatures: array(signature, 1024),
});

/** Checks a reply to `Op.CLEARTEXT`. */
export const cleartextReply: Check<CleartextReply> = object({
  blocks,
  text: span,
  hashes: array(str(32), 16),
  signatures: array(signature, 1024),
});

/** Checks a reply to `Op.INLINE`. */
export const inlineReply: Check<InlineReply> = object({
  blocks,
  literal: object({ block: int(0, 64), spans: array(span, MANY), format: int(0, 255) }),
  onePass: int(0, 1024),
  signatures: array(signature, 1024),
});

/** One element of an RPM value: a string or an integer (types are checked on re-encoding). */
const scalar: Check<string | number> = (value, path) => {
  if (typeof value === 'number') return int(0, 2 ** 64)(value, path);
  return str(MAX_INPUT)(value, path);
};

const rpmEntry: Check<RpmEntry> = object({
  index: int(0, 0x10000),
  tag: int(0, U32),
  type: int(0, 9),
  offset: int(0, U32),
  count: int(0, U32),
  value: (value, path) =>
    typeof value === 'string'
      ? B64(MAX_INPUT)(value, path)
      : (array(scalar, MANY)(value, path) as string[] | number[]),
});

const rpmHeader: Check<RpmHeader> = object({
  start: int(0, MAX_INPUT),
  indexCount: int(0, 0x10000),
  dataLength: int(0, MAX_INPUT),
  entries: array(rpmEntry, 64),
});

/** Checks a reply to `Op.RPM` (entry values are checked where they are re-encoded). */
export const rpmReply: Check<RpmReply> = object({
  name: str(66),
  blocks,
  signature: rpmHeader,
  header: rpmHeader,
  payloadStart: int(0, MAX_INPUT),
  signatures: array(object({ tag: int(0, U32), packet: signature }), 8),
});
