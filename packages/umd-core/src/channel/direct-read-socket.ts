import type { Socket } from 'node:net';
import { debug } from '../shared/debug-log.js';
import {
  type FirstReadVerdict,
  hasUserBufferCalls,
  onreadFields,
  rearmOrDestroy,
  watchFirstRead,
} from './node-internals.js';
import { readScratch } from './read-scratch.js';

/**
 * Where a host end made by {@link directReadSocket} delivers what it reads. `target()` names the
 * buffer the next read goes into (a payload still being filled, or a scratch buffer); `consume()`
 * gets the byte count read into it. Lets a channel read large replies straight into their final buffer.
 */
export interface ReplySink {
  target(): Uint8Array;
  consume(count: number, into: Uint8Array): void;
}

/**
 * What a channel attached to such a socket can do besides receiving reads. Node arms the buffer
 * of each read when the previous read returns, so a target handed out stays armed until the next
 * read lands, however long that takes: memory that must not be written any more (a caller's own
 * reply buffer, once its call settled) has to be disarmed explicitly.
 */
export interface ReplySinkControl {
  /** Whether {@link ReplySinkControl.rearm} works here (direct reads engaged); if not, caller memory must never be a target. */
  readonly canRearm: boolean;
  /** Replaces the armed buffer by a fresh `sink.target()` now, before the next read. */
  rearm(): void;
}

/** Node's public `onread` option of a socket (its types list it only for `connect()`). */
export interface OnreadOption {
  buffer: () => Uint8Array;
  callback: (count: number) => boolean;
}

const sinks = new WeakMap<Socket, (sink: ReplySink) => ReplySinkControl>();

/**
 * Makes `input` deliver to `sink` if it is a host end made by {@link directReadSocket}; returns
 * `undefined` (nothing done) for any other stream, which the channel then reads through `data` events.
 */
export function attachReplySink(input: unknown, sink: ReplySink): ReplySinkControl | undefined {
  const attach = sinks.get(input as Socket);
  if (attach === undefined) return undefined;
  sinks.delete(input as Socket);
  return attach(sink);
}

/** Feeds bytes already read elsewhere through the sink's targets, as if it had read them. */
function replay(sink: ReplySink, chunk: Uint8Array): void {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const target = sink.target();
    const count = Math.min(target.byteLength, chunk.byteLength - offset);
    target.set(chunk.subarray(offset, offset + count));
    offset += count;
    sink.consume(count, target);
  }
}

/**
 * A host end whose reads a channel picks the buffers of: `open` creates the socket with the given
 * public `onread` option (a throw propagates). Reads before a channel attaches (HELLO, usually) are
 * kept and replayed on attach. Node's `onread` is proven by the first read like the direct reads
 * of a child stdout: a runtime that ignores it delivers `data` events instead (which a channel
 * listens to), or loses the socket, never a misread byte. Until a channel attaches, an error does
 * not crash the process: the channel sees the socket destroyed and fails its requests then.
 */
export function directReadSocket(label: string, open: (onread: OnreadOption) => Socket): Socket {
  const early: Uint8Array[] = [];
  let sink: ReplySink | undefined;
  /** The buffer the next read lands in: the last one handed to Node (its callback's own argument can lag behind a rearm). */
  let armed: Uint8Array = readScratch;
  /** Whether the sink chose `armed`; before it attached, reads land in the shared scratch and are copied out. */
  let armedBySink = false;
  const arm = (): Uint8Array => {
    armedBySink = sink !== undefined;
    armed = sink ? sink.target() : readScratch;
    return armed;
  };
  /** Bytes the onread callback received, and whether reads are proven (or not yet disproven) to land in `armed`. */
  let consumed = 0;
  let direct = true;
  const callback = (count: number): boolean => {
    consumed += count;
    const into = armed;
    // A read into a target the sink chose goes straight to it; one armed before the sink
    // attached is replayed (attached since) or kept for later.
    if (armedBySink) sink!.consume(count, into);
    else if (sink) replay(sink, into.subarray(0, count));
    else early.push(into.slice(0, count));
    return true; // never pause: a channel that is done discards, so the handler never blocks
  };
  const watchReads = (socket: Socket) => {
    const fields = onreadFields();
    const own = socket as unknown as Record<symbol, unknown>;
    const clearFields = () => {
      direct = false;
      if (fields !== undefined && own[fields.callback] === callback) {
        own[fields.buffer] = null;
        own[fields.generator] = null;
        own[fields.callback] = null;
      } else {
        socket.destroy(new Error('the onread fields cannot be cleared'));
      }
    };
    const verdict = (result: FirstReadVerdict) => {
      if (result !== 'proven') direct = false;
      debug('%s: onread %s by the first read', label, result);
    };
    if (
      !hasUserBufferCalls(socket) ||
      !watchFirstRead(socket, () => consumed, clearFields, verdict)
    ) {
      direct = false;
      debug('%s: onread cannot be watched here; caller memory is never a read target', label);
    }
  };
  const socket = open({ buffer: arm, callback });
  try {
    watchReads(socket);
  } catch (error) {
    socket.destroy();
    throw error;
  }
  const ignore = () => {};
  socket.on('error', ignore);
  sinks.set(socket, (attached) => {
    socket.off('error', ignore);
    // Attached from a channel's constructor: replay what came early one microtask later, so
    // nothing is emitted before the caller can listen (live reads are callbacks of a later tick).
    queueMicrotask(() => {
      sink = attached;
      for (const chunk of early.splice(0)) replay(attached, chunk);
    });
    return {
      get canRearm() {
        return direct && hasUserBufferCalls(socket);
      },
      rearm() {
        if (sink !== undefined && this.canRearm) rearmOrDestroy(socket, arm());
      },
    };
  });
  return socket;
}
