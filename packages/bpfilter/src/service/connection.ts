/**
 * One client of the service (one socket the preload opened): HELLO out, then REQUEST
 * frames in, one REPLY or ERROR out for each, in order.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import {
  encodeErrorPayload,
  encodeFrame,
  encodeHello,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  FrameType,
  type Frame,
  writeFrameHeader,
} from '@umd/core';
import {
  decodeMboxRequest,
  MBOX_REPLY_HEADER_SIZE,
  MBOX_REQUEST_HEADER_SIZE,
  writeMboxReplyStatus,
} from '../abi/mbox.js';
import type { BackendReply } from './backend.js';
import type { MboxRequest } from '../abi/mbox.js';
import { timed } from '../sockopt/phase-log.js';
import { errnoOf } from './errno.js';
import { SERVICE_MAX_PAYLOAD, SERVICE_NAME } from './protocol.js';
import type { ClientBudget } from './client-budget.js';

/** Runs one decoded request for a connection (the service serializes these). */
export type RunRequest = (request: MboxRequest, signal: AbortSignal) => Promise<BackendReply>;

/**
 * Requests of one client decoded but not run yet, beyond which its socket is no longer read
 * (the preload sends one at a time; a pipelining client just waits in its socket buffer).
 */
const MAX_QUEUED_REQUESTS = 8;

/**
 * A frame to send: its first bytes, then `body` as the backend returned it. A whole table's
 * answer is written from the backend's own bytes (one writev with its head), not copied into
 * a reply and then into a frame first: two copies and two allocations the size of the table
 * in each GET_ENTRIES. The body is the backend's to give: a fresh array that nothing changes
 * after it is returned.
 */
interface Outgoing {
  head: Uint8Array;
  body?: Uint8Array;
}

/** A REPLY frame of request `id`: the frame's header and the reply's status, then `body`. */
function replyFrame(id: number, status: number, body?: Uint8Array): Outgoing {
  const bodySize = body?.byteLength ?? 0;
  const head = new Uint8Array(FRAME_HEADER_SIZE + MBOX_REPLY_HEADER_SIZE);
  writeFrameHeader(head, 0, FrameType.Reply, id, MBOX_REPLY_HEADER_SIZE + bodySize);
  writeMboxReplyStatus(head, FRAME_HEADER_SIZE, status);
  return bodySize > 0 ? { head, body } : { head };
}

/**
 * Serves `socket` until it closes; `run` does the work. Never throws. A client is answered
 * only as fast as it reads: the next request runs once the previous reply left the service
 * (a tiny GET_ENTRIES request asks for a whole table, so unread replies would pile up
 * without bound), and its socket is not read while requests wait. Its requests and unsent
 * replies are held in `budget`, shared by all clients; one that does not fit drops the client.
 */
export function serveConnection(
  socket: Socket,
  run: RunRequest,
  log: (line: string) => void,
  budget: ClientBudget,
): void {
  // What this client holds in `budget`: its frame in progress, those queued, the one answered,
  // and its replies the socket has not taken yet.
  let held = 0;
  let answeringBytes = 0;
  const decoder = new FrameDecoder({
    maxPayload: SERVICE_MAX_PAYLOAD,
    allocate: (length) => {
      budget.take(length); // throws out of push(): the client is dropped below
      held += length;
      return new Uint8Array(length);
    },
  });
  const closed = new AbortController();
  // Requests of one connection are answered in order, as a caller blocked in getsockopt expects.
  const queue: Frame[] = [];
  let answering = false;

  const release = (bytes: number) => {
    budget.give(bytes);
    held -= bytes;
  };
  // Nothing is answered after a close but the request being run, which gives its own back.
  closed.signal.addEventListener('abort', () => release(held - answeringBytes));
  socket.on('close', () => closed.abort());
  socket.on('error', () => closed.abort());
  socket.write(
    encodeFrame(
      FrameType.Hello,
      0,
      encodeHello({ version: 1, maxPayload: SERVICE_MAX_PAYLOAD, name: SERVICE_NAME }),
    ),
  );

  socket.on('data', (chunk: Buffer) => {
    let frames: Frame[];
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      // A client that breaks the framing cannot be answered reliably: drop it.
      log(`dropping a client: ${(error as Error).message}`);
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      if (frame.type === FrameType.Cancel) {
        release(frame.payload.byteLength); // the preload never cancels; nothing to undo
        continue;
      }
      if (frame.type !== FrameType.Request) {
        log(
          `dropping a client: it sent a frame of type ${frame.type}, only REQUEST and CANCEL are expected`,
        );
        socket.destroy();
        return;
      }
      queue.push(frame);
    }
    if (queue.length >= MAX_QUEUED_REQUESTS) socket.pause();
    void answerQueued();
  });

  async function answerQueued(): Promise<void> {
    if (answering) return;
    answering = true;
    try {
      for (let frame = queue.shift(); frame; frame = queue.shift()) {
        if (queue.length < MAX_QUEUED_REQUESTS && !closed.signal.aborted) socket.resume();
        if (closed.signal.aborted) return;
        const outgoing = await answerHeld(frame);
        if (socket.destroyed) return;
        if (!reply(outgoing)) await drained();
      }
    } finally {
      answering = false;
    }
  }

  /**
   * Writes `head` and `body`, held in the budget until the socket has taken them; a reply
   * that does not fit drops the client (its caller gets an error, as it does when the service
   * goes away). Returns what `socket.write` returns.
   */
  function reply({ head, body }: Outgoing): boolean {
    const size = head.byteLength + (body?.byteLength ?? 0);
    try {
      budget.take(size);
    } catch (error) {
      log(`dropping a client: its reply: ${(error as Error).message}`);
      socket.destroy();
      return true;
    }
    held += size;
    // After a close, the abort listener has given back everything this client held.
    const sent = () => {
      if (!closed.signal.aborted) release(size);
    };
    if (body === undefined) return socket.write(head, sent);
    // Corked, the two go out in one writev.
    socket.cork();
    socket.write(head);
    const more = socket.write(body, sent);
    socket.uncork();
    return more;
  }

  /** Resolves when the socket's buffered replies went out, or it closed. */
  async function drained(): Promise<void> {
    try {
      await once(socket, 'drain', { signal: closed.signal });
    } catch {
      // closed: nothing more is answered
    }
  }

  /** {@link answer}, then `frame`'s bytes back to the budget. */
  async function answerHeld(frame: Frame): Promise<Outgoing> {
    answeringBytes = frame.payload.byteLength;
    try {
      return await answer(frame);
    } finally {
      release(answeringBytes);
      answeringBytes = 0;
    }
  }

  async function answer(frame: Frame): Promise<Outgoing> {
    const request = decodeMboxRequest(frame.payload);
    if (!request) {
      return errorFrame(
        frame.id,
        -errnoOf('EINVAL'),
        `request of ${frame.payload.length} bytes is shorter than the ${MBOX_REQUEST_HEADER_SIZE}-byte mbox_request header`,
      );
    }
    try {
      const result = await timed(`request ${request.isSet ? 'set' : 'get'} ${request.cmd}`, () =>
        run(request, closed.signal),
      );
      return replyFrame(frame.id, result.status, result.body);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log(
        `request cmd ${request.cmd} (${request.isSet ? 'set' : 'get'}) from pid ${request.pid} failed: ${message}`,
      );
      return errorFrame(frame.id, -errnoForFailure(error), message);
    }
  }
}

/** An ERROR frame of request `id`. */
function errorFrame(id: number, code: number, message: string): Outgoing {
  return { head: encodeFrame(FrameType.Error, id, encodeErrorPayload(code, message)) };
}

/** The errno a client sees when the service could not run its request. */
function errnoForFailure(error: unknown): number {
  const { code, handlerCode } = (error ?? {}) as { code?: unknown; handlerCode?: unknown };
  // bpfilter itself refused with an errno: pass it on as it is.
  if (
    typeof handlerCode === 'number' &&
    Number.isInteger(handlerCode) &&
    handlerCode < 0 &&
    handlerCode > -4096
  )
    return -handlerCode;
  if (code === 'UMD_TIMEOUT') return errnoOf('ETIMEDOUT');
  if (code === 'UMD_TOO_LARGE') return errnoOf('EMSGSIZE');
  if (code === 'UMD_QUEUE_FULL') return errnoOf('EAGAIN');
  if (code === 'UMD_ABORTED' || code === 'UMD_STOPPED' || code === 'UMD_CLOSED')
    return errnoOf('ESHUTDOWN');
  if (
    code === 'UMD_START_FAILED' ||
    code === 'UMD_CRASH_LOOP' ||
    code === 'UMD_BLOB_INTEGRITY' ||
    code === 'UMD_LOADER'
  ) {
    return errnoOf('EHOSTDOWN');
  }
  return errnoOf('EIO');
}
