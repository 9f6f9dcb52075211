import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
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
 * Where the host end of a {@link ReplySocket} delivers what it reads. `target()` names the buffer
 * the next read goes into (a payload still being filled, or a scratch buffer); `consume()` gets
 * the byte count read into it. Lets a channel read large replies straight into their final buffer.
 */
export interface ReplySink {
  target(): Uint8Array;
  consume(count: number, into: Uint8Array): void;
}

/**
 * An `AF_UNIX` stream socket pair to use as a handler's fd 1 (stdout) instead of Node's stdio
 * `'pipe'` (also an `AF_UNIX` socketpair). Node reads a stdio pipe in 64 KiB chunks into a fresh
 * buffer each, which a channel then copies into the reply; a channel reading this socket's host
 * end has each read land straight in the reply buffer (as large as the socket holds), with no
 * per-chunk allocation or copy. Same bytes, same wire format; only the host's reads differ.
 */
export interface ReplySocket {
  /** Give this to `spawn()` as the child's fd 1: `stdio: ['pipe', replySocket.handlerEnd, 'pipe']`. */
  readonly handlerEnd: Socket;
  /** The host's end: pass it as the `input` of a channel (or the `replySocket` option of `fromChild`). */
  readonly hostEnd: Socket;
  /**
   * Closes the host's copy of {@link ReplySocket.handlerEnd}; call it once the child is spawned (or
   * spawning failed). Until then the host itself holds the handler's end open and would never see
   * end of input when the handler exits. `fromChild(child, { replySocket })` calls it. Idempotent.
   */
  release(): void;
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
 * What a channel attached to a reply socket can do besides receiving reads. Node arms the buffer
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

const sinks = new WeakMap<Socket, (sink: ReplySink) => ReplySinkControl>();
let socketsOpened = 0;

/**
 * Makes `input` deliver to `sink` if it is the host end of a {@link ReplySocket}; returns
 * `undefined` (nothing done) for any other stream, which the channel then reads through `data` events.
 */
export function attachReplySink(input: unknown, sink: ReplySink): ReplySinkControl | undefined {
  const attach = sinks.get(input as Socket);
  if (attach === undefined) return undefined;
  sinks.delete(input as Socket);
  return attach(sink);
}

function removeEmptyDirectory(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Options of {@link openReplySocket}. */
export interface ReplySocketOptions {
  /**
   * An existing directory that only this process can enter (mode 0700) to create the socket's
   * path in, such as the private directory a handler's program is staged in: saves making and
   * removing a directory of its own. The path is removed once connected; the directory is left.
   */
  privateDirectory?: string;
}

/**
 * Opens a {@link ReplySocket}: listens on a fresh path in a private (0700) temporary directory,
 * connects to it, and removes the path (and the directory it made) as soon as the one connection
 * is made. Rejects with `UMD_START_FAILED` if the socket cannot be set up.
 */
export async function openReplySocket(options: ReplySocketOptions = {}): Promise<ReplySocket> {
  const ownDir =
    options.privateDirectory === undefined ? mkdtempSync(join(tmpdir(), 'umd-')) : undefined;
  // Unique within the process, so that several sockets may share one private directory.
  const number = ++socketsOpened;
  const path = join(ownDir ?? options.privateDirectory!, `reply-${number}.sock`);
  const label = `reply socket ${number}`;
  const server: Server = createServer({ pauseOnConnect: true });
  // Bytes read before a channel attaches (HELLO, usually) are copied here and replayed on attach.
  const early: Uint8Array[] = [];
  let sink: ReplySink | undefined;
  let hostEnd: Socket | undefined;
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
  /**
   * Node's public `onread` is proven by the first read like the direct reads of a child stdout:
   * a runtime that ignores it delivers `data` events instead (which a channel listens to), or
   * loses the socket, never a misread byte.
   */
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
  try {
    const handlerEnd = await new Promise<Socket>((resolve, reject) => {
      const fail = (cause: Error) =>
        reject(
          new UmdError(
            UmdErrorCode.START_FAILED,
            `cannot open the reply socket: ${cause.message}`,
            { cause },
          ),
        );
      server.once('error', fail);
      server.once('connection', (socket: Socket) => {
        server.off('error', fail);
        hostEnd?.off('error', fail);
        resolve(socket);
      });
      // Connect once the path listens: in a cluster worker listening is not done when listen()
      // returns. `exclusive`: this process listens itself (a worker would ask the primary to).
      server.once('listening', () => {
        try {
          hostEnd = createConnection({ path, onread: { buffer: arm, callback } });
        } catch (error) {
          fail(error as Error); // a runtime whose onread throws
          return;
        }
        hostEnd.once('error', fail);
        watchReads(hostEnd);
      });
      server.listen({ path, exclusive: true });
    });
    const host = hostEnd!;
    // Until a channel listens, an error must not crash the process: the channel sees the socket
    // destroyed when it attaches and fails its requests then.
    const ignore = () => {};
    host.on('error', ignore);
    sinks.set(host, (attached) => {
      host.off('error', ignore);
      // Attached from a channel's constructor: replay what came early one microtask later, so
      // nothing is emitted before the caller can listen (live reads are callbacks of a later tick).
      queueMicrotask(() => {
        sink = attached;
        for (const chunk of early.splice(0)) replay(attached, chunk);
      });
      return {
        get canRearm() {
          return direct && hasUserBufferCalls(host);
        },
        rearm() {
          if (sink !== undefined && this.canRearm) rearmOrDestroy(host, arm());
        },
      };
    });
    let released = false;
    return {
      handlerEnd,
      hostEnd: host,
      release() {
        if (released) return;
        released = true;
        handlerEnd.destroy();
      },
    };
  } catch (error) {
    hostEnd?.destroy();
    throw error;
  } finally {
    // The path is only needed for the one connect: no one else can reach the pair afterwards.
    // Closing the server unlinks it (libuv does); then the directory is empty.
    server.close();
    if (ownDir !== undefined) removeEmptyDirectory(ownDir);
  }
}
