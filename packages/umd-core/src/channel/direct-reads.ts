import { Socket } from 'node:net';
import { debug } from '../shared/debug-log.js';
import {
  type FirstReadVerdict,
  hasUserBufferCalls,
  onreadFields,
  rearmOrDestroy,
  tryArmNextRead,
  watchFirstRead,
} from './node-internals.js';
import { readScratch } from './read-scratch.js';
import type { ReplySink, ReplySinkControl } from './direct-read-socket.js';

/**
 * Direct reads on a child's own stdout pipe. Node reads a `net.Socket` it made for a child's
 * stdio in 64 KiB chunks, each into a fresh buffer the channel then copies; a socket created
 * with the `onread` option instead reads into buffers its owner picks. Node offers `onread`
 * only at construction, so this applies the same settings to the existing socket, as one
 * transaction: the handle's `useUserBuffer()` first (a throw: nothing changed), then the fields,
 * and the first read must prove that it landed where the channel looks (else the fields are
 * cleared and the bytes come as `data` events, which the channel always listens to). Anything
 * unexpected leaves the socket as it was: the same bytes, only slower.
 */

/** Streams that `fromChild()` hands over whole (the child's stdout), with a name for the log. */
const candidates = new WeakMap<object, string>();

/** Marks `stream` (a child's stdout that the channel alone reads) as one whose reads may go straight into reply buffers. */
export function allowDirectReads(stream: unknown, label: string): void {
  if (stream instanceof Socket) candidates.set(stream, label);
}

/** Why direct reads cannot be engaged on this socket now, or `undefined` if they can be tried. */
function obstacle(socket: Socket, fields: ReturnType<typeof onreadFields>): string | undefined {
  if (fields === undefined) return "the runtime's onread fields were not found";
  if (!hasUserBufferCalls(socket)) return 'the handle has no useUserBuffer/onread';
  if (socket.destroyed || socket.readableEnded) return 'the stream is already over';
  if (socket.readableLength > 0) return 'bytes are already buffered';
  const own = socket as unknown as Record<symbol, unknown>;
  if (!(fields.buffer in own && fields.callback in own && fields.generator in own))
    return 'the socket has no onread fields';
  if (own[fields.buffer] !== null || own[fields.callback] !== null) return 'onread is already set';
  if (own[fields.generator] !== null) return 'onread is already set';
  return undefined;
}

/**
 * Makes a candidate socket deliver every read to `sink` (`target()` picks each read's buffer,
 * `consume()` gets its byte count). Returns `undefined`, changing nothing, where that cannot be
 * tried; the channel then reads `data` events only.
 */
export function attachDirectReads(input: unknown, sink: ReplySink): ReplySinkControl | undefined {
  if (!(input instanceof Socket) || !candidates.has(input)) return undefined;
  const label = candidates.get(input)!;
  candidates.delete(input);
  const fields = onreadFields();
  const why = obstacle(input, fields);
  if (why !== undefined || fields === undefined) {
    debug('%s: data events (%s)', label, why);
    return undefined;
  }
  const socket = input as unknown as Record<symbol, unknown>;
  // Nothing is pending while the channel is being constructed: the first read goes to the scratch.
  let armed: Uint8Array = readScratch;
  let consumed = 0;
  let engaged = true;
  const clearFields = () => {
    engaged = false;
    socket[fields.buffer] = null;
    socket[fields.generator] = null;
    socket[fields.callback] = null;
  };
  const verdict = (result: FirstReadVerdict) => {
    if (result !== 'proven') engaged = false;
    debug('%s: direct reads %s by the first read', label, result);
  };
  const unwatch = watchFirstRead(input, () => consumed, clearFields, verdict);
  if (unwatch === undefined) {
    debug('%s: data events (the handle onread hook cannot be watched)', label);
    return undefined;
  }
  if (!tryArmNextRead(input, armed)) {
    unwatch();
    debug('%s: data events (useUserBuffer failed)', label);
    return undefined;
  }
  try {
    socket[fields.buffer] = armed;
    socket[fields.generator] = () => (armed = sink.target());
    socket[fields.callback] = (count: number): boolean => {
      consumed += count;
      sink.consume(count, armed);
      return true; // never pause: a channel that is done discards, so the handler never blocks
    };
  } catch (error) {
    // The handle reads into user buffers but the socket cannot be told: the first read proves the
    // loss and destroys the socket (the channel then fails with a typed error).
    clearFields();
    debug('%s: setting the onread fields failed (%s)', label, (error as Error)?.message);
  }
  return {
    get canRearm() {
      return engaged && hasUserBufferCalls(input);
    },
    rearm() {
      if (!this.canRearm) return;
      armed = sink.target();
      socket[fields.buffer] = armed;
      rearmOrDestroy(input, armed);
    },
  };
}
