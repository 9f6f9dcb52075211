import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { openReplySocket, openStdioSockets, type ReplySocket, type StdioSockets } from '@umd/core';

/**
 * The handler's fd 0 and fd 1 as the host sets them up before the spawn: stdio sockets (the
 * default, where `@umd/core`'s native helper works), a reply socket as fd 1, or Node's pipes.
 */
export interface HandlerStdio {
  readonly replySocket: ReplySocket | undefined;
  readonly stdioSockets: StdioSockets | undefined;
  /** `spawn()`'s `stdio`. */
  readonly stdio: [number | 'pipe', number | Socket | 'pipe', 'pipe'];
  /** What the debug log calls it. */
  readonly kind: string;
  /** The child has its own copies now: the host's go, or it would never see end of input. */
  release(): void;
  /** Spawning failed: everything goes. Idempotent. */
  close(): void;
}

/** Sets up the handler's stdio: a reply socket's path goes in `privateDirectory` (the blob's). */
export async function openHandlerStdio(
  name: string,
  options: { replySocket?: boolean; stdioSockets?: boolean },
  privateDirectory: string,
): Promise<HandlerStdio> {
  const replySocket =
    options.replySocket === true ? await openReplySocket({ privateDirectory }) : undefined;
  const stdioSockets =
    replySocket === undefined && options.stdioSockets !== false
      ? openStdioSockets(name)
      : undefined;
  return {
    replySocket,
    stdioSockets,
    stdio: [
      stdioSockets?.handlerFds[0] ?? 'pipe',
      stdioSockets?.handlerFds[1] ?? replySocket?.handlerEnd ?? 'pipe',
      'pipe',
    ],
    kind: replySocket ? 'reply socket' : stdioSockets ? 'stdio sockets' : 'stdio pipes',
    release() {
      replySocket?.release();
      stdioSockets?.release();
    },
    close() {
      replySocket?.release();
      replySocket?.hostEnd.destroy();
      stdioSockets?.destroy();
    },
  };
}

/** Where requests go and replies come from: the host ends of the sockets, else the child's pipes. */
export function channelStreams(
  stdio: HandlerStdio,
  child: { stdin: Writable | null; stdout: Readable | null },
): { input: Writable; output: Readable } {
  const { replySocket, stdioSockets } = stdio;
  return {
    input: stdioSockets ? stdioSockets.requests : child.stdin!,
    output: stdioSockets?.replies ?? replySocket?.hostEnd ?? child.stdout!,
  };
}
