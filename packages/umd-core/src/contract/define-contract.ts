import { causeMessage } from '../errors/cause-message.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { thenOrNow } from '../shared/maybe-async.js';
import type { Codec } from './codecs.js';
import { ContractViolation, validateWith } from './standard-schema.js';

/**
 * A driver's request and reply types with their codecs, declared once and imported by both
 * host and handler. Each method throws (or rejects with) a {@link ContractViolation} for a
 * value its codec or validator refuses; each is synchronous unless a validator is async.
 */
export interface Contract<Req, Rep> {
  /** Name, for messages. */
  readonly name: string;
  /** The request's codec. */
  readonly request: Codec<Req>;
  /** The reply's codec. */
  readonly reply: Codec<Rep>;
  /** Host: validates and encodes a request. */
  encodeRequest(value: Req): Uint8Array | Promise<Uint8Array>;
  /** Handler: decodes and validates a request. */
  decodeRequest(bytes: Uint8Array): Req | Promise<Req>;
  /** Handler: validates and encodes a reply. */
  encodeReply(value: Rep): Uint8Array | Promise<Uint8Array>;
  /** Host: decodes and validates a reply. */
  decodeReply(bytes: Uint8Array): Rep | Promise<Rep>;
}

/** The request type of a contract. */
export type ContractRequest<C> = C extends Contract<infer Req, unknown> ? Req : never;
/** The reply type of a contract. */
export type ContractReply<C> = C extends Contract<unknown, infer Rep> ? Rep : never;

function encodeWith<T>(codec: Codec<T>, value: T, what: string): Uint8Array | Promise<Uint8Array> {
  const valid = codec.schema ? validateWith(codec.schema, value, what) : value;
  return thenOrNow(valid, (v) => {
    try {
      return codec.encode(v);
    } catch (cause) {
      throw new ContractViolation(
        `${what}: ${codec.name} cannot encode it: ${causeMessage(cause)}`,
        [],
        cause,
      );
    }
  });
}

function decodeWith<T>(codec: Codec<T>, bytes: Uint8Array, what: string): T | Promise<T> {
  let value: unknown;
  try {
    value = codec.decode(bytes);
  } catch (cause) {
    throw new ContractViolation(
      `${what}: not valid ${codec.name} (${bytes.length} bytes): ${causeMessage(cause)}`,
      [],
      cause,
    );
  }
  return codec.schema ? validateWith(codec.schema, value, what) : (value as T);
}

/** Declares a contract: `defineContract({ request: json(RequestSchema), reply: structured<Reply>() })`. */
export function defineContract<Req, Rep>(spec: {
  name?: string;
  request: Codec<Req>;
  reply: Codec<Rep>;
}): Contract<Req, Rep> {
  if (typeof spec !== 'object' || spec === null)
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'defineContract: spec must be an object');
  const name = spec.name ?? 'contract';
  const { request, reply } = spec;
  for (const [side, codec] of [
    ['request', request],
    ['reply', reply],
  ] as const) {
    if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function')
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `${name}: ${side} must be a codec (json(), structured(), bytes(), codec())`,
      );
  }
  return Object.freeze({
    name,
    request,
    reply,
    encodeRequest: (value: Req) => encodeWith(request, value, `${name}: invalid request`),
    decodeRequest: (bytes: Uint8Array) => decodeWith(request, bytes, `${name}: invalid request`),
    encodeReply: (value: Rep) => encodeWith(reply, value, `${name}: invalid reply`),
    decodeReply: (bytes: Uint8Array) => decodeWith(reply, bytes, `${name}: invalid reply`),
  });
}
