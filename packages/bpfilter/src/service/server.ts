/**
 * `bpfilter serve`: a Unix socket in front of ONE bpfilter front end, for the preload
 * library. Many clients may connect (libxtables opens a fresh socket per revision probe);
 * their requests run one at a time, as under the kernel's bpfilter lock.
 */
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { isMainThread } from 'node:worker_threads';
import { UmdError, UmdErrorCode } from '@umd/core';
import type { EnforceOptions } from '../enforce/enforcer.js';
import { SerialLock } from '../sockopt/serial-lock.js';
import { readStateFile } from '../sockopt/state-file.js';
import type { ServiceBackend } from './backend.js';
import { serveConnection } from './connection.js';
import { createDefaultBackend } from './default-backend.js';
import { SERVICE_CLIENT_BUDGET } from './protocol.js';
import { ClientBudget } from './client-budget.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Path of the Unix socket to create (mode 0600). A stale socket file there is replaced. */
  socketPath: string;
  /**
   * What answers the requests. Default: a fresh bpfilter front end (handler started lazily).
   * The service owns it: {@link BpfilterService.close} (or a failed start) calls its `close()`.
   */
  backend?: ServiceBackend;
  /**
   * Enforcement mode for the default backend: tables are also installed into this network
   * namespace's kernel through nftables (see `BpfilterSockoptOptions.enforce`). The service
   * starts enforcing before it listens (the tables of `stateFile` included), so a missing or
   * refusing nft fails the start. Ignored when `backend` is given.
   */
  enforce?: boolean | EnforceOptions;
  /**
   * Keep the tables in this file (JSON, mode 0600) with the default backend: loaded before
   * listening (a file that is not a bpfilter state is an error, never an empty firewall; a
   * missing file starts empty and is created at the first change), written atomically
   * before the reply of every change that succeeded, and at close.
   */
  stateFile?: string;
  /**
   * With `enforce` and the default backend: warm up while listening (`BpfilterSockopt.warmUp`:
   * about 1 s of CPU, after which a restore no longer runs partly interpreted). Default true;
   * `exec` turns it off for a service of its own, whose one command would only compete with it.
   */
  warmUp?: boolean;
  /** With `stateFile`: longest delay before classification counters are written (default 1000 ms). */
  counterFlushMs?: number;
  /** Where service events go (one line each). Default: nowhere. */
  log?: (line: string) => void;
  /** Aborting it closes the service, as {@link BpfilterService.close} does. */
  signal?: AbortSignal;
}

/** A running service. */
export interface BpfilterService {
  /** The socket path clients connect to (put it in `BPFILTER_SOCKET`). */
  readonly socketPath: string;
  /** The backend answering requests. */
  readonly backend: ServiceBackend;
  /** Number of clients connected right now. */
  readonly connections: number;
  /** Stops accepting, drops clients, closes the backend and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the service and resolves once it listens.
 * @throws UmdError `UMD_INVALID_ARGUMENT` when the path is taken by a live service or a non-socket file.
 */
export async function serve(options: ServeOptions): Promise<BpfilterService> {
  if (typeof options !== 'object' || options === null)
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'serve() needs { socketPath }');
  const { socketPath } = options;
  const log = options.log ?? (() => {});
  if (typeof socketPath !== 'string' || socketPath.length === 0) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'serve() needs a socketPath');
  }
  options.signal?.throwIfAborted();
  if (options.backend !== undefined && options.stateFile !== undefined)
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      'serve(): stateFile is for the default backend; a given backend keeps its own state',
    );
  const backend = options.backend ?? (await defaultBackend(options, log));
  try {
    await clearStaleSocket(socketPath);
  } catch (error) {
    await backend.close?.();
    throw error;
  }
  const lock = new SerialLock();
  const budget = new ClientBudget(SERVICE_CLIENT_BUDGET);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serveConnection(
      socket,
      (request, signal) => lock.run(() => backend.request(request, { signal })),
      log,
      budget,
    );
  });
  try {
    await listen(server, socketPath);
  } catch (error) {
    await backend.close?.();
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `cannot listen on ${socketPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  log(`listening on ${socketPath}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      options.signal?.removeEventListener('abort', onAbort);
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
      try {
        unlinkSync(socketPath);
      } catch {
        // already gone
      }
      // After the requests already admitted: their changes are then in the flushed state.
      await lock.run(async () => backend.close?.());
      log('closed');
    })());
  const onAbort = () => void close();
  options.signal?.addEventListener('abort', onAbort, { once: true });

  return {
    socketPath,
    backend,
    get connections() {
      return sockets.size;
    },
    close,
  };
}

/**
 * The default backend: the tables of the state file loaded and checked by a handler, then
 * enforced when asked, all before the service listens.
 */
async function defaultBackend(
  options: ServeOptions,
  log: (line: string) => void,
): Promise<ServiceBackend> {
  const { stateFile, enforce } = options;
  const state = stateFile === undefined ? undefined : await readStateFile(stateFile);
  if (stateFile !== undefined)
    log(
      state
        ? `state loaded from ${stateFile} (${state.tables?.length ?? 0} tables)`
        : `no state file ${stateFile} yet: starting with no tables; it is written at the first change`,
    );
  const backend = createDefaultBackend({
    log,
    stateFile,
    counterFlushMs: options.counterFlushMs,
    sockoptOptions: { enforce, ...(state ? { state } : {}) },
  });
  if (state && state.tables.length > 0) {
    // Start the handler now: a table it refuses is an error at start, not at the first client.
    try {
      await backend.sockopt.tableNames();
    } catch (cause) {
      await backend.sockopt.stop();
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `state file ${stateFile}: bpfilter cannot load its tables: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  if (!enforce) return backend;
  try {
    await backend.sockopt.startEnforcement();
  } catch (error) {
    await backend.close?.();
    throw error;
  }
  log('enforcing through nftables in this network namespace');
  if (options.warmUp === false) return backend;
  // While the service listens: a first request waits for one warm-up round at most.
  const started = performance.now();
  backend.sockopt.warmUp().then(
    () => log(`warmed up in ${(performance.now() - started).toFixed(0)} ms`),
    (error: unknown) => log(`warm-up failed (requests are served, slower at first): ${error}`),
  );
  return backend;
}

/**
 * `socketPath` as `listen()` takes it for a path: a string Node reads as a number ('5', '0x10',
 * '1e3') would be a TCP port on every address, so that one gets './'. Any other path stays as
 * given: resolving it could pass the ~107-byte limit of a socket's path.
 */
function pipePath(socketPath: string): string {
  return Number(socketPath) >= 0 ? `./${socketPath}` : socketPath;
}

/** Binds with a 0600 socket: umask while binding where we may, chmod in any case. */
function listen(server: Server, socketPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // No window in which others could connect: the socket file is born 0600. process.umask()
    // cannot be set in worker threads; there the chmod below still applies.
    const previous = isMainThread ? process.umask(0o177) : undefined;
    try {
      server.listen(pipePath(socketPath), () => {
        server.off('error', reject);
        try {
          chmodSync(socketPath, 0o600);
          resolve();
        } catch (error) {
          server.close();
          reject(error as Error);
        }
      });
    } finally {
      if (previous !== undefined) process.umask(previous);
    }
  });
}

/** Removes a socket file nobody listens on; refuses a live one or a file that is not a socket. */
async function clearStaleSocket(socketPath: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(socketPath).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `${socketPath} exists and is not a socket; refusing to replace it`,
    );
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = createConnection({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live)
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `a service already listens on ${socketPath}`);
  unlinkSync(socketPath);
}
