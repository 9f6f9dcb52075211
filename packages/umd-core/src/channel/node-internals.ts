import { Socket, type SocketConstructorOpts } from 'node:net';
import { debug } from '../shared/debug-log.js';

/**
 * The one module that touches Node's private socket internals: the three fields its public
 * `onread` option fills, the handle's `useUserBuffer()` that `onread` calls, and the handle's
 * `onread` hook through which every read reaches the socket. Every use is transactional: it is
 * checked before, undone on any error, and proven by the first read before it is trusted. A
 * runtime where any of it differs (another Node, Bun, Deno) gets `data` events or, if bytes
 * could already have gone astray, a socket destroyed with an error: never misread bytes.
 */

/** The socket fields behind Node's public `onread` option. */
export interface OnreadFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

type Handle = { useUserBuffer?: unknown; onread?: unknown } | null | undefined;

const handleOf = (socket: Socket): Handle => (socket as unknown as { _handle: Handle })._handle;

let identified: OnreadFields | null | undefined;

/**
 * The fields Node's own `onread` implementation writes, found by what two throwaway sockets built
 * with that public option hold (no handle, no I/O), not by their names: a runtime that only
 * borrows the names gets `undefined`. Identified once per process.
 */
export function onreadFields(): OnreadFields | undefined {
  if (identified === undefined) identified = identifyFields() ?? null;
  return identified ?? undefined;
}

function identifyFields(): OnreadFields | undefined {
  const holding = (socket: Socket, value: unknown): symbol | undefined => {
    const found = Object.getOwnPropertySymbols(socket).filter(
      (key) => (socket as unknown as Record<symbol, unknown>)[key] === value,
    );
    return found.length === 1 ? found[0] : undefined;
  };
  try {
    const buffer = new Uint8Array(1);
    const callback = () => true;
    const generator = () => buffer;
    // Node takes `onread` in the constructor too, though its types list it only for connect().
    const withOnread = (options: object) => new Socket(options as SocketConstructorOpts);
    const fixed = withOnread({ onread: { buffer, callback } });
    const generated = withOnread({ onread: { buffer: generator, callback } });
    const fields = {
      buffer: holding(fixed, buffer),
      callback: holding(fixed, callback),
      generator: holding(generated, generator),
    };
    fixed.destroy();
    generated.destroy();
    const { buffer: b, callback: c, generator: g } = fields;
    if (b === undefined || c === undefined || g === undefined) return undefined;
    if (b === c || c === g || b === g || holding(generated, callback) !== c) return undefined;
    return { buffer: b, callback: c, generator: g };
  } catch {
    return undefined;
  }
}

/** Whether the socket's handle has the calls {@link armNextRead} and {@link watchFirstRead} use. */
export function hasUserBufferCalls(socket: Socket): boolean {
  const handle = handleOf(socket);
  return typeof handle?.useUserBuffer === 'function' && typeof handle.onread === 'function';
}

/**
 * Makes `buffer` the target of the socket's next read now (what `onread` does at construction;
 * Node arms each later buffer when the previous read returns). A throw means the runtime does
 * not have the call; false then. The caller decides what an unarmed buffer means.
 */
export function tryArmNextRead(socket: Socket, buffer: Uint8Array): boolean {
  const handle = handleOf(socket);
  try {
    (handle!.useUserBuffer as (buffer: Uint8Array) => void).call(handle, buffer);
    return true;
  } catch (error) {
    debug('useUserBuffer threw (%s)', (error as Error)?.message ?? error);
    return false;
  }
}

/**
 * Re-arms a socket whose reads are proven to go into user buffers. If that fails the old buffer
 * (perhaps a caller's memory, whose call has settled) would stay armed: the socket is destroyed
 * instead, so its channel fails with a typed error and nothing writes that memory again.
 */
export function rearmOrDestroy(socket: Socket, buffer: Uint8Array): void {
  if (!socket.destroyed && handleOf(socket) && !tryArmNextRead(socket, buffer)) {
    socket.destroy(new Error('cannot re-arm the direct read (useUserBuffer failed)'));
  }
}

/** What the first read of a socket in user-buffer mode proved. */
export type FirstReadVerdict =
  /** The read landed in the user buffer and reached the callback: direct reads work. */
  | 'proven'
  /** The read came in a buffer of Node's own (the handle ignored `useUserBuffer`): the fields were cleared, so Node delivers it as a `data` event. */
  | 'ignored'
  /** Bytes were read that never reached the callback: the socket was destroyed (nothing is misread). */
  | 'lost';

/**
 * Watches the socket's first read after it was put in user-buffer mode, through the handle's
 * `onread` hook (uninstalled as soon as the first bytes arrived). Node passes that hook an
 * `ArrayBuffer` only when it read into a buffer of its own: then `clearFields()` runs before the
 * read is handled, and Node pushes the bytes as a `data` event. Otherwise every byte the socket
 * counts as read (`bytesRead`, public) must have reached `consumed()` by the time the hook returns.
 * Returns the function that uninstalls the watch, or `undefined` (nothing installed) where the
 * hook cannot be replaced.
 */
export function watchFirstRead(
  socket: Socket,
  consumed: () => number,
  clearFields: () => void,
  onVerdict: (verdict: FirstReadVerdict) => void,
): (() => void) | undefined {
  const handle = handleOf(socket) as { onread: (...args: unknown[]) => unknown };
  const original = handle.onread;
  const base = socket.bytesRead - consumed();
  const watcher = function (this: unknown, ...args: unknown[]): unknown {
    if (args[0] !== undefined) {
      handle.onread = original;
      clearFields();
      onVerdict('ignored');
      return original.apply(this, args);
    }
    const result = original.apply(this, args);
    const read = socket.bytesRead - base;
    if (read === 0) return result; // end of input or an error: nothing was read, nothing to prove
    handle.onread = original;
    if (read === consumed()) {
      onVerdict('proven');
    } else {
      onVerdict('lost');
      socket.destroy(new Error('direct reads: bytes read did not reach the reader'));
    }
    return result;
  };
  const uninstall = () => {
    try {
      if (handle.onread === watcher) handle.onread = original;
    } catch {
      // as it was
    }
  };
  try {
    handle.onread = watcher;
    if (handle.onread === watcher) return uninstall;
  } catch {
    // not replaceable: nothing installed
  }
  uninstall();
  return undefined;
}
