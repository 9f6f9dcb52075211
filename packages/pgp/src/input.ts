/** The inputs the API takes, and how the host reads them. */
import { PgpError } from './errors.js';

/** Bytes, or a string (armored text, taken as UTF-8). */
export type Input = Uint8Array | string;

/** Signed data: bytes, a string, or chunks (a Node stream, an async generator) read in order. */
export type SignedData = Input | Iterable<Uint8Array> | AsyncIterable<Uint8Array | string>;

/** The bytes of an {@link Input}. */
export function toBytes(input: Input): Uint8Array {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  if (input instanceof Uint8Array) return input;
  throw new PgpError('PGP_INVALID_ARGUMENT', 'expected a Uint8Array or a string');
}

/** The chunks of signed data, as bytes. */
export async function* chunksOf(data: SignedData): AsyncGenerator<Uint8Array> {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    yield toBytes(data);
    return;
  }
  if (data === null || typeof data !== 'object') {
    throw new PgpError(
      'PGP_INVALID_ARGUMENT',
      'signed data must be bytes, a string or an iterable',
    );
  }
  for await (const chunk of data as AsyncIterable<Uint8Array | string>) yield toBytes(chunk);
}
