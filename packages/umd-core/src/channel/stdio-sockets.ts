import { Socket, type SocketConstructorOpts } from 'node:net';
import { debug } from '../shared/debug-log.js';
import { directReadSocket } from './direct-read-socket.js';
import { allowDirectWrites } from './direct-writes.js';
import { hostAddon } from './native-helper.js';

/**
 * The send buffer asked for each end of a handler's stdio sockets. A large message moves in steps
 * of what the sender's buffer holds, each a wake-up of the reader; Node's pipes have the kernel's
 * default (about 208 KiB). The kernel caps the request at `net.core.wmem_max` (on many systems
 * that same default: then nothing changes) and charges only bytes in flight.
 */
export const STDIO_SEND_BUFFER = 1024 * 1024;

/** One pair from the helper, checked: `[hostFd, handlerFd, sendBuffer]`, or `undefined` (logged). */
function socketpair(): [number, number, number] | undefined {
  const helper = hostAddon();
  if (helper === undefined) return undefined;
  try {
    const pair = helper.socketpair(STDIO_SEND_BUFFER);
    const valid =
      Array.isArray(pair) &&
      pair.length === 3 &&
      pair.every((value) => Number.isInteger(value) && value >= 0) &&
      pair[0] !== pair[1];
    if (valid) return pair as [number, number, number];
    throw new Error('unexpected result');
  } catch (error) {
    debug('stdio sockets: socketpair failed (%s); stdio pipes', (error as Error)?.message);
    return undefined;
  }
}

/**
 * A handler's stdin and stdout as `AF_UNIX` socketpairs the host made itself (Node's stdio
 * `'pipe'`s are the same kind of pair), with {@link STDIO_SEND_BUFFER} asked for as each end's
 * kernel send buffer: a large message then moves in fewer steps. Give
 * {@link StdioSockets.handlerFds} to `spawn()` as `stdio[0]` and `stdio[1]`, then pass the object
 * as the `stdioSockets` option of `fromChild()`, which writes requests to
 * {@link StdioSockets.requests} and reads replies from {@link StdioSockets.replies} straight into
 * their buffers (Node's public `onread`).
 */
export interface StdioSockets {
  /** The handler's ends, for `spawn()`: `stdio: [fds[0], fds[1], 'pipe']` (close-on-exec in the host). */
  readonly handlerFds: readonly [stdin: number, stdout: number];
  /** The host end of the handler's stdin. */
  readonly requests: Socket;
  /** The host end of the handler's stdout. */
  readonly replies: Socket;
  /**
   * Closes the host's copies of {@link StdioSockets.handlerFds}; call it once the child is spawned
   * (or spawning failed). Until then the host itself holds them open and would never see end of
   * input when the handler exits. `fromChild(child, { stdioSockets })` calls it. Idempotent.
   */
  release(): void;
  /** Releases, and destroys both host ends (spawning failed). Idempotent. */
  destroy(): void;
}

/** Closes a descriptor the helper made (it ignores one already closed). */
const closeQuietly = (fd: number) => hostAddon()?.close(fd);

/**
 * Opens {@link StdioSockets} for the handler named `label` (for the `NODE_DEBUG=umd` log), or
 * returns `undefined` where the native helper is missing or fails (not built, another platform or
 * runtime): the caller then spawns with stdio pipes, as before. Never throws.
 */
export function openStdioSockets(label: string): StdioSockets | undefined {
  const stdin = socketpair();
  const stdout = stdin && socketpair();
  if (stdin === undefined || stdout === undefined) {
    if (stdin !== undefined) for (const fd of stdin.slice(0, 2)) closeQuietly(fd);
    return undefined;
  }
  const handlerFds = [stdin[1], stdout[1]] as const;
  let requests: Socket | undefined;
  let replies: Socket | undefined;
  let repliesWrapped = false;
  try {
    requests = new Socket({ fd: stdin[0], readable: false, writable: true });
    const helper = hostAddon()!;
    allowDirectWrites(requests, stdin[0], (fd, chunks) => helper.writeNow(fd, chunks));
    replies = directReadSocket(`${label} stdout socket`, (onread) => {
      const socket = new Socket({
        fd: stdout[0],
        readable: true,
        writable: false,
        onread,
      } as SocketConstructorOpts);
      repliesWrapped = true;
      return socket;
    });
  } catch (error) {
    // A descriptor a socket wraps is Node's to close (directReadSocket destroys its socket on a
    // throw); the others are still ours.
    requests?.destroy();
    if (requests === undefined) closeQuietly(stdin[0]);
    if (!repliesWrapped) closeQuietly(stdout[0]);
    for (const fd of handlerFds) closeQuietly(fd);
    debug('%s: stdio sockets unusable (%s); stdio pipes', label, (error as Error)?.message);
    return undefined;
  }
  debug('%s: stdio sockets, send buffers %d and %d bytes', label, stdin[2], stdout[2]);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const fd of handlerFds) closeQuietly(fd);
  };
  return {
    handlerFds,
    requests,
    replies,
    release,
    destroy() {
      release();
      requests.destroy();
      replies.destroy();
    },
  };
}
