import type { Socket } from 'node:net';

/**
 * The one place that uses the handle call behind Node's `onread` option. Node arms the buffer of
 * a socket's next read when the previous read returns; `useUserBuffer()` on the socket's handle
 * (what `onread` calls itself at construction) arms another one now. Node has no public call for
 * this, so every caller checks {@link canArmReads} and has a fallback.
 */
type UserBufferHandle = { useUserBuffer?: (buffer: Uint8Array) => void } | null | undefined;

const handleOf = (socket: Socket): UserBufferHandle =>
  (socket as unknown as { _handle: UserBufferHandle })._handle;

/** Whether {@link armNextRead} works on this socket (an open handle of a Node that has the call). */
export function canArmReads(socket: Socket): boolean {
  return typeof handleOf(socket)?.useUserBuffer === 'function';
}

/** Makes `buffer` the target of the socket's next read; false (nothing done) where that cannot be done. */
export function armNextRead(socket: Socket, buffer: Uint8Array): boolean {
  const handle = handleOf(socket);
  if (typeof handle?.useUserBuffer !== 'function') return false;
  handle.useUserBuffer(buffer);
  return true;
}
