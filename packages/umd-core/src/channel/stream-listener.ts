import type { Readable, Writable } from 'node:stream';
import { attachDirectReads } from './direct-reads.js';
import { attachReplySink, type ReplySink, type ReplySinkControl } from './direct-read-socket.js';

/** What a channel does with the events of the two streams it talks over. */
export interface StreamHandlers {
  /** Direct reads, used when the input is the host end of a reply socket or a child stdout handed over by `fromChild()`. */
  sink: ReplySink;
  /** Chunks delivered as `data` events: from any other input, or where direct reads were not proven. */
  onData(chunk: Uint8Array): void;
  /** The input ended or closed (called at most once per event; the channel makes it idempotent). */
  onEnd(): void;
  /** Either stream failed. */
  onError(cause: Error): void;
}

/**
 * Subscribes a channel to its input and output: direct reads where the input is a reply socket or
 * a child stdout, and `data` events always (a socket whose direct reads the first read disproves
 * delivers its bytes that way); end, close and errors of either. Returns `stop`, which stops listening
 * to the input (it then keeps draining what still arrives, so that the handler never blocks on a
 * full pipe), and the direct reads' control (`undefined` for an input read through `data` events).
 */
export function listenToStreams(
  input: Readable,
  output: Writable,
  handlers: StreamHandlers,
): { stop: () => void; directReads: ReplySinkControl | undefined } {
  const directReads =
    attachReplySink(input, handlers.sink) ?? attachDirectReads(input, handlers.sink);
  input.on('data', handlers.onData);
  input.on('end', handlers.onEnd);
  input.on('close', handlers.onEnd);
  input.on('error', handlers.onError);
  output.on('error', handlers.onError);
  // Already over (its end or close event is gone): fail pending work at once rather than hang.
  if (input.readableEnded || input.destroyed) queueMicrotask(handlers.onEnd);
  const stop = () => {
    input.off('data', handlers.onData);
    input.off('end', handlers.onEnd);
    input.off('close', handlers.onEnd);
    if (!input.destroyed) input.resume();
  };
  return { stop, directReads };
}
