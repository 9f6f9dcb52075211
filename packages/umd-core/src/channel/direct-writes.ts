import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { getSystemErrorName } from 'node:util';

/**
 * Writes chunks to a stream's socket at once, outside Node's `Writable`: the bytes the socket took
 * (perhaps fewer than all, perhaps 0), or -1 when it failed and the stream was destroyed with the
 * error Node would have given it. Only called while the stream is open and holds nothing unwritten.
 */
export type DirectWriter = (chunks: readonly Uint8Array[]) => number;

/** Most chunks one direct write takes (the addon's limit); a larger batch goes through the stream. */
export const DIRECT_WRITE_CHUNKS = 64;

const writers = new WeakMap<Writable, DirectWriter>();

/**
 * Lets the channel that writes `socket` (the host end of a handler's stdin socket, whose
 * descriptor `fd` the host made) write it with the addon's `writeNow`. A failure is reported the
 * way Node reports a failed socket write: the socket destroyed with an `Error` whose message is
 * `write CODE`, and `errno`, `code` and `syscall` set.
 */
export function allowDirectWrites(
  socket: Socket,
  fd: number,
  writeNow: (fd: number, chunks: readonly Uint8Array[]) => unknown,
): void {
  writers.set(socket, (chunks) => {
    const count = writeNow(fd, chunks);
    if (typeof count === 'number' && Number.isSafeInteger(count) && count >= 0) return count;
    const errno = typeof count === 'number' && Number.isSafeInteger(count) ? count : -5; // EIO
    const code = nameOf(errno);
    socket.destroy(Object.assign(new Error(`write ${code}`), { errno, code, syscall: 'write' }));
    return -1;
  });
}

function nameOf(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `Unknown system error ${errno}`;
  }
}

/** The direct writer of `stream`, or `undefined` (it is written through its own `write()` only). */
export function directWriterOf(stream: Writable): DirectWriter | undefined {
  return writers.get(stream);
}
