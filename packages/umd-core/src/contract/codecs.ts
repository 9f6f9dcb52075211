import { Buffer, isAscii } from 'node:buffer';
import { DefaultDeserializer, serialize } from 'node:v8';
import type { StandardSchemaV1 } from './standard-schema.js';

/**
 * How values of type `T` travel as bytes, and optionally how they are checked. `encode` and
 * `decode` throw on what they cannot handle; `schema` (any Standard Schema validator) is run
 * on a value before it is encoded and after it is decoded.
 */
export interface Codec<T> {
  /** Name, for messages. */
  readonly name: string;
  /** Value to bytes. */
  encode(value: T): Uint8Array;
  /** Bytes to value. The bytes may be reused after the call: copy what you keep. */
  decode(bytes: Uint8Array): unknown;
  /**
   * True when `decode` always returns a value that shares no memory with its input (it copies
   * what it keeps). Then `serveContract()` reuses request buffers by default (see
   * `reuseRequestBuffers`). Leave it unset for a codec whose value may view the input.
   */
  readonly decodeCopies?: boolean | undefined;
  /** Validator run on both sides (optional). Without it, a decoded value is trusted as `T`. */
  readonly schema?: StandardSchemaV1<unknown, T> | undefined;
}

/** The value type of a codec. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-8 text of `bytes`, refusing malformed input. ASCII (most JSON) is read as Latin-1, which
 * is the same text: that decoder has no fixed cost per call, and from about 1 MiB Node makes the
 * string outside the V8 heap, where the UTF-8 decoder builds a large heap string (and pays for
 * the garbage collections it brings on) that JSON.parse only reads once.
 */
export function utf8Text(bytes: Uint8Array): string {
  if (isAscii(bytes))
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return decoder.decode(bytes);
}

/**
 * JSON (UTF-8): plain data in any language. `json<T>()` trusts the peer's values to be `T`;
 * `json(schema)` checks them (and infers `T` from the schema).
 */
export function json<T = unknown>(schema?: StandardSchemaV1<unknown, T>): Codec<T> {
  return {
    name: 'json',
    encode: (value) => {
      const text = JSON.stringify(value);
      if (text === undefined) throw new TypeError('the value has no JSON form');
      return encoder.encode(text);
    },
    decode: (bytes) => JSON.parse(utf8Text(bytes)) as unknown,
    decodeCopies: true, // a string, then objects made from it
    schema,
  };
}

/** Node's own `_readHostObject` (documented for subclasses, absent from the type declarations). */
const readHostObject = (
  DefaultDeserializer.prototype as unknown as {
    _readHostObject(this: DefaultDeserializer): unknown;
  }
)._readHostObject;

/**
 * `v8.deserialize()` makes each typed array and `Buffer` of the value a view of the input bytes,
 * which a codec's caller may reuse (see {@link Codec.decode}): these get bytes of their own.
 */
class OwningDeserializer extends DefaultDeserializer {
  _readHostObject(): unknown {
    const view = readHostObject.call(this) as ArrayBufferView;
    const own = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
    if (Buffer.isBuffer(view)) return Buffer.from(own);
    return new (view.constructor as new (buffer: ArrayBufferLike) => ArrayBufferView)(own);
  }
}

function deserializeOwning(bytes: Uint8Array): unknown {
  const deserializer = new OwningDeserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}

/**
 * The structured clone format of `node:v8` (`serialize`/`deserialize`): `Map`, `Set`, `Date`,
 * `BigInt`, typed arrays, cycles. Both sides must be Node.js. Deserializing makes objects of
 * built-in types only: no code of the peer runs in the host.
 */
export function structured<T = unknown>(schema?: StandardSchemaV1<unknown, T>): Codec<T> {
  return {
    name: 'structured clone',
    encode: (value) => serialize(value),
    decode: deserializeOwning,
    decodeCopies: true, // every typed array and Buffer gets bytes of its own
    schema,
  };
}

/** Raw bytes, as without a contract: the payload is the value (so it does not declare `decodeCopies`). */
export function bytes(schema?: StandardSchemaV1<unknown, Uint8Array>): Codec<Uint8Array> {
  return {
    name: 'bytes',
    encode: (value) => {
      if (!(value instanceof Uint8Array)) throw new TypeError('the value is not a Uint8Array');
      return value;
    },
    decode: (value) => value,
    schema,
  };
}

/**
 * A codec of your own (e.g. a fixed binary layout), with an optional validator. Set
 * `decodeCopies` only if `decode` never returns a view of its input (see {@link Codec}).
 */
export function codec<T>(spec: {
  name: string;
  encode: (value: T) => Uint8Array;
  decode: (bytes: Uint8Array) => T;
  decodeCopies?: boolean;
  schema?: StandardSchemaV1<unknown, T>;
}): Codec<T> {
  const { name, encode, decode, decodeCopies = false, schema } = spec;
  return { name, encode, decode, decodeCopies: decodeCopies === true, schema };
}
