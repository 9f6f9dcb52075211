/** The inputs the API takes, and how the host reads them. */
import { abortedError } from '@umd/core';
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

/** Longest time, in ms, that chunks are read without letting the event loop turn. */
const TURN_MS = 10;

/**
 * The chunks of `source`, each waited for only until `signal` fires (a `UmdError`:
 * `UMD_ABORTED`, or `UMD_TIMEOUT` for a timeout's signal): a source that stalls cannot hold the
 * call. The source is then told to stop (`return()`), never waited for. A source that never
 * waits for I/O cannot hold it either: every {@link TURN_MS} ms the event loop turns, so the
 * timeout's timer (and the rest of the host) runs.
 */
export async function* untilAborted<T>(
  source: Iterable<T> | AsyncIterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  const iterator =
    Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const stopped = () => abortedError(signal as AbortSignal, 'reading the signed data');
  // One listener for the whole read, failing the step in progress. (A race of each step against
  // one long-lived promise left a reaction on it per chunk: 336 MiB of heap after 10^6 chunks.)
  let failStep: ((error: unknown) => void) | undefined;
  const onAbort = () => failStep?.(stopped());
  signal?.addEventListener('abort', onAbort, { once: true });
  let turned = performance.now();
  try {
    for (;;) {
      if (performance.now() - turned >= TURN_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        turned = performance.now();
      }
      if (signal?.aborted) throw stopped();
      const step = await new Promise<IteratorResult<T>>((resolve, reject) => {
        failStep = reject;
        Promise.resolve(iterator.next()).then(resolve, reject);
      });
      failStep = undefined;
      if (step.done) return;
      yield step.value;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    Promise.resolve(iterator.return?.()).catch(() => undefined);
  }
}
