/**
 * A fake bpfilter service for preload tests: it says HELLO on each connection and hands every
 * REQUEST frame's id and number (1-based, over the service's life) to `answer`, which writes
 * whatever reply it likes (or none).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { encodeFrame, encodeHello, FRAME_HEADER_SIZE, FrameType } from '@umd/core';

/** How the fake service answers request number `n` (1-based) with id `id`. */
export type Answer = (id: number, n: number, socket: Socket) => void;

/** A REPLY frame of `status` and `bytes` bytes of `fill`. */
export const reply = (id: number, status: number, bytes: number, fill = 0x11): Uint8Array => {
  const payload = Buffer.alloc(4 + bytes, fill);
  payload.writeInt32LE(status, 0);
  return encodeFrame(FrameType.Reply, id, payload);
};

/** Listens on `<dir>/<name>.sock`; resolves with the socket's path and the server (close it). */
export async function fakeService(
  dir: string,
  name: string,
  answer: Answer,
): Promise<{ path: string; server: Server }> {
  const path = join(dir, `${name}.sock`);
  let n = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write(
      encodeFrame(FrameType.Hello, 0, encodeHello({ version: 1, maxPayload: 1 << 20, name })),
    );
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= FRAME_HEADER_SIZE) {
        const length = buffered.readUInt32LE(12);
        if (buffered.length < FRAME_HEADER_SIZE + length) break;
        answer(buffered.readUInt32LE(8), ++n, socket);
        buffered = buffered.subarray(FRAME_HEADER_SIZE + length);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { path, server };
}
