/**
 * A client of a running `bpfilter serve`: the same calls as the in-process front end
 * (getsockopt, setsockopt, classify, tableNames), sent over the service's Unix socket. It is
 * what lets a second process (the CLI's `classify`, a test) see the tables that iptables
 * programs changed through the preload.
 */
import { createConnection } from 'node:net';
import {
  abortedError,
  callDeadline,
  checkInteger,
  FramedChannel,
  type RequestOptions,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import { callOptions } from '../api/call-options.js';
import { UMD_CMD_CLASSIFY_BATCH } from '../abi/classify-batch.js';
import { UMD_CMD_CLASSIFY, UMD_CMD_TABLE_NAMES } from '../abi/constants.js';
import { decodeMboxReply, encodeMboxRequest } from '../abi/mbox.js';
import { decodeTableNames } from '../abi/table-names.js';

/** The status and bytes of one answered call. */
export interface ServiceReply {
  /** 0 or a negative errno. */
  status: number;
  /** The bytes copied back (gets), the old counters (SET_REPLACE), or a command's body. */
  data: Uint8Array;
}

/** A connection to a bpfilter service. */
export interface ServiceClient {
  /** `getsockopt(SOL_IP, optname)` with `optval` as the caller's buffer. */
  getsockopt(optname: number, optval: Uint8Array, options?: RequestOptions): Promise<ServiceReply>;
  /** `setsockopt(SOL_IP, optname, optval)`. */
  setsockopt(optname: number, optval: Uint8Array, options?: RequestOptions): Promise<ServiceReply>;
  /** The handler's CLASSIFY command; `body` is its JSON request `{ table, hook, packet }`. */
  classify(body: Uint8Array, options?: RequestOptions): Promise<ServiceReply>;
  /** The handler's CLASSIFY_BATCH command; `body` is its binary request. */
  classifyBatch(body: Uint8Array, options?: RequestOptions): Promise<ServiceReply>;
  /** The tables in use, newest first (what the preload shows as `/proc/net/ip_tables_names`). */
  tableNames(options?: RequestOptions): Promise<string[]>;
  /** Closes the connection. Idempotent. */
  close(): void;
}

/** How long {@link connectService} waits for the connection and the service's HELLO, by default. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Connects to the service at `socketPath` and waits for its HELLO. `options.timeoutMs` (default
 * {@link CONNECT_TIMEOUT_MS}) bounds both together, and `options.signal` stops either.
 * @throws UmdError `UMD_START_FAILED` if nothing listens there; `UMD_PROTOCOL` if it does not
 * speak umd; `UMD_TIMEOUT`, `UMD_ABORTED`; `UMD_INVALID_ARGUMENT` for options it cannot use.
 */
export async function connectService(
  socketPath: string,
  options: RequestOptions = {},
): Promise<ServiceClient> {
  if (typeof socketPath !== 'string' || socketPath.length === 0)
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'bpfilter: a service socketPath is a path');
  const { signal, timeoutMs } = callOptions(options);
  // Undefined (given or not) is the default, as for every other call's timeoutMs.
  const limit = checkInteger(
    timeoutMs,
    'timeoutMs',
    'bpfilter',
    CONNECT_TIMEOUT_MS,
    1,
    2 ** 31 - 1,
  );
  const what = `connecting to the bpfilter service at ${socketPath}`;
  if (signal?.aborted) throw abortedError(signal, what);
  const deadline = callDeadline({ signal, timeoutMs: limit });
  try {
    return await connectWithin(socketPath, deadline.signal!, what);
  } finally {
    deadline.clear();
  }
}

/** {@link connectService} until `stop` fires (`what` names the step in its errors). */
async function connectWithin(
  socketPath: string,
  stop: AbortSignal,
  what: string,
): Promise<ServiceClient> {
  // As { path }: net.connect takes a number, or a string of digits ('--socket 5'), as a TCP port.
  const socket = createConnection({ path: socketPath });
  try {
    await new Promise<void>((resolve, reject) => {
      const onStop = () => reject(abortedError(stop, what));
      stop.addEventListener('abort', onStop, { once: true });
      socket.once('connect', () => {
        stop.removeEventListener('abort', onStop);
        resolve();
      });
      socket.once('error', (error) =>
        reject(
          new UmdError(
            UmdErrorCode.START_FAILED,
            `bpfilter: cannot reach the service at ${socketPath}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
    });
  } catch (error) {
    socket.destroy();
    throw error;
  }
  const channel = new FramedChannel(socket, socket);
  socket.on('error', () => channel.close());
  try {
    await channel.waitForHello({ signal: stop });
  } catch (error) {
    channel.close();
    socket.destroy();
    throw error;
  }
  const call = async (
    request: Parameters<typeof encodeMboxRequest>[0],
    callOptions?: RequestOptions,
  ): Promise<ServiceReply> => {
    const reply = decodeMboxReply(
      await channel.request(encodeMboxRequest({ pid: process.pid, ...request }), callOptions),
    );
    if (reply === undefined)
      throw new UmdError(
        UmdErrorCode.PROTOCOL,
        'bpfilter: the service sent a reply shorter than its 4-byte status',
      );
    return { status: reply.status, data: reply.body };
  };
  return {
    getsockopt: (optname, optval, o) => call({ isSet: false, cmd: optname, data: optval }, o),
    setsockopt: (optname, optval, o) => call({ isSet: true, cmd: optname, data: optval }, o),
    classify: (body, o) => call({ isSet: false, cmd: UMD_CMD_CLASSIFY, data: body }, o),
    classifyBatch: (body, o) => call({ isSet: false, cmd: UMD_CMD_CLASSIFY_BATCH, data: body }, o),
    tableNames: async (o) => {
      const { status, data } = await call({ isSet: false, cmd: UMD_CMD_TABLE_NAMES }, o);
      if (status < 0)
        throw new UmdError(UmdErrorCode.HANDLER_ERROR, `bpfilter: TABLE_NAMES answered ${status}`, {
          handlerCode: status,
        });
      return decodeTableNames(data);
    },
    close: () => {
      channel.close();
      socket.destroy();
    },
  };
}
