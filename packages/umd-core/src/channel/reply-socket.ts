import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { type Server, type Socket, createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { checkSignal } from '../shared/check-options.js';
import { directReadSocket } from './direct-read-socket.js';
import { abortedError } from './request-options.js';

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

let socketsOpened = 0;

const WHAT = 'opening the reply socket';

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
  /** Gives up opening: rejects with `UMD_ABORTED` (`UMD_TIMEOUT` for a timeout's reason), nothing left open. */
  signal?: AbortSignal;
}

/**
 * Opens a {@link ReplySocket}: listens on a fresh path in a private (0700) temporary directory,
 * connects to it, and removes the path (and the directory it made) as soon as the one connection
 * is made. Rejects with `UMD_START_FAILED` if the socket cannot be set up.
 */
export async function openReplySocket(options: ReplySocketOptions = {}): Promise<ReplySocket> {
  const signal = checkSignal(options.signal, undefined);
  if (signal?.aborted) throw abortedError(signal, WHAT);
  const ownDir =
    options.privateDirectory === undefined ? mkdtempSync(join(tmpdir(), 'umd-')) : undefined;
  // Unique within the process, so that several sockets may share one private directory.
  const number = ++socketsOpened;
  const path = join(ownDir ?? options.privateDirectory!, `reply-${number}.sock`);
  const label = `reply socket ${number}`;
  const server: Server = createServer({ pauseOnConnect: true });
  let hostEnd: Socket | undefined;
  let onAbort: (() => void) | undefined;
  try {
    const handlerEnd = await new Promise<Socket>((resolve, reject) => {
      let settled = false;
      onAbort = () => {
        settled = true;
        reject(abortedError(signal!, WHAT));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
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
        if (settled)
          socket.destroy(); // given up meanwhile: nobody will take it
        else resolve(socket);
      });
      // Connect once the path listens: in a cluster worker listening is not done when listen()
      // returns. `exclusive`: this process listens itself (a worker would ask the primary to).
      server.once('listening', () => {
        try {
          hostEnd = directReadSocket(label, (onread) => createConnection({ path, onread }));
        } catch (error) {
          fail(error as Error); // a runtime whose onread throws
          return;
        }
        hostEnd.once('error', fail);
      });
      server.listen({ path, exclusive: true });
    });
    const host = hostEnd!;
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
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    // The path is only needed for the one connect: no one else can reach the pair afterwards.
    // Closing the server unlinks it (libuv does); then the directory is empty.
    server.close();
    if (ownDir !== undefined) removeEmptyDirectory(ownDir);
  }
}
