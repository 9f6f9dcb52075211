import { Socket } from 'node:net';
import { armNextRead, canArmReads } from './arm-read.js';
import { readScratch } from './read-scratch.js';
import type { ReplySink, ReplySinkControl } from './reply-socket.js';

/**
 * Direct reads on a child's own stdout pipe. Node reads a `net.Socket` it made for a child's
 * stdio in 64 KiB chunks, each into a fresh buffer the channel then copies; a socket created
 * with the `onread` option instead reads into buffers its owner picks. Node offers `onread`
 * only at construction, so this applies the same three settings to the existing socket: the
 * fields `onread` fills in (found by their symbols' descriptions) and the handle's
 * `useUserBuffer()` call that `onread` makes. Anything unexpected (another Node, data already
 * buffered, a socket already in that mode) leaves the socket as it is and the channel reads it
 * through `data` events: the same bytes, only slower.
 */

type Fields = { buffer: symbol; callback: symbol; generator: symbol };

/** Streams that `fromChild()` hands over whole (the child's stdout): only those are converted. */
const candidates = new WeakSet<object>();

/** Marks `stream` (a child's stdout that the channel alone reads) as one whose reads may go straight into reply buffers. */
export function allowDirectReads(stream: unknown): void {
  if (stream instanceof Socket) candidates.add(stream);
}

/** The same three symbols serve every socket of the process: looked up once. */
let knownFields: Fields | undefined;

function fieldsOf(socket: Socket): Fields | undefined {
  if (knownFields !== undefined) {
    const own = Object.getOwnPropertySymbols(socket);
    return own.includes(knownFields.buffer) &&
      own.includes(knownFields.callback) &&
      own.includes(knownFields.generator)
      ? knownFields
      : undefined;
  }
  const bySymbol = new Map<string, symbol[]>();
  for (const symbol of Object.getOwnPropertySymbols(socket)) {
    const list = bySymbol.get(symbol.description ?? '') ?? [];
    list.push(symbol);
    bySymbol.set(symbol.description ?? '', list);
  }
  const one = (name: string) =>
    bySymbol.get(name)?.length === 1 ? bySymbol.get(name)![0] : undefined;
  const buffer = one('kBuffer');
  const callback = one('kBufferCb');
  const generator = one('kBufferGen');
  if (buffer === undefined || callback === undefined || generator === undefined) return undefined;
  knownFields = { buffer, callback, generator };
  return knownFields;
}

/**
 * Makes a candidate socket deliver every read to `sink` (`target()` picks each read's buffer,
 * `consume()` gets its byte count). Returns `undefined`, changing nothing, where that cannot be
 * done safely; the caller then listens to `data` events.
 */
export function attachDirectReads(input: unknown, sink: ReplySink): ReplySinkControl | undefined {
  if (!(input instanceof Socket) || !candidates.has(input)) return undefined;
  candidates.delete(input);
  const fields = fieldsOf(input);
  const socket = input as unknown as Record<symbol, unknown>;
  if (
    fields === undefined ||
    !canArmReads(input) ||
    input.destroyed ||
    input.readableLength > 0 ||
    input.readableEnded ||
    socket[fields.buffer] !== null ||
    socket[fields.generator] !== null
  ) {
    return undefined;
  }
  // Nothing is pending while the channel is being constructed: the first read goes to the scratch.
  let armed: Uint8Array = readScratch;
  socket[fields.buffer] = armed;
  socket[fields.generator] = () => (armed = sink.target());
  socket[fields.callback] = (count: number): boolean => {
    sink.consume(count, armed);
    return true; // never pause: a channel that is done discards, so the handler never blocks
  };
  armNextRead(input, armed);
  return {
    canRearm: true,
    rearm() {
      if (!canArmReads(input)) return;
      armed = sink.target();
      socket[fields.buffer] = armed;
      armNextRead(input, armed);
    },
  };
}
