/**
 * The service's default backend: the package's sockopt front end (one manager, one handler,
 * tables kept across handler restarts). Requests arrive as the preload encoded them.
 */
import { UMD_CMD_CLASSIFY_BATCH } from '../abi/classify-batch.js';
import { UMD_CMD_CLASSIFY, UMD_CMD_TABLE_NAMES } from '../abi/constants.js';
import { readCString } from '../abi/bytes.js';
import type { MboxRequest } from '../abi/mbox.js';
import { BpfilterSockopt, type BpfilterSockoptOptions } from '../sockopt/index.js';
import { OPTVAL_IN_FRAME } from '../sockopt/sockopt-options.js';
import type { BackendReply, ServiceBackend } from './backend.js';
import { errnoOf } from './errno.js';
import { StatePersister } from './state-persister.js';

/** Options of {@link createDefaultBackend}. */
export interface DefaultBackendOptions {
  /** An existing front end to serve (not stopped by close()); default: a new one. */
  sockopt?: BpfilterSockopt;
  /** Options for the new front end when `sockopt` is not given. */
  sockoptOptions?: BpfilterSockoptOptions;
  /** Receives the handler's stderr lines and restore events. */
  log?: (line: string) => void;
  /**
   * Keep the tables in this file (see {@link StatePersister}): written before the reply of
   * every table change that succeeded, counter updates of classifications within
   * `counterFlushMs`, and everything at `close()`.
   */
  stateFile?: string;
  /** Longest delay before classification counters reach `stateFile` (default 1000 ms). */
  counterFlushMs?: number;
}

/** A backend over a {@link BpfilterSockopt}: the one the service uses unless told otherwise. */
export interface SockoptBackend extends ServiceBackend {
  /** The front end answering the requests. */
  readonly sockopt: BpfilterSockopt;
}

/** Creates the service's backend over the bpfilter front end. */
export function createDefaultBackend(options: DefaultBackendOptions = {}): SockoptBackend {
  const owned = options.sockopt === undefined;
  const sockopt = options.sockopt ?? new BpfilterSockopt(options.sockoptOptions);
  const log = options.log;
  if (log && owned) {
    sockopt.manager.on('stderr', (line: string, pid: number) => log(`handler ${pid}: ${line}`));
    sockopt.manager.on(
      'exit',
      (event: {
        pid: number;
        exitCode: number | null;
        signal: string | null;
        expected: boolean;
      }) => {
        if (!event.expected)
          log(`handler ${event.pid} exited (code ${event.exitCode}, signal ${event.signal})`);
      },
    );
    sockopt.on('restore', (event: { pid: number; tables: string[] }) =>
      log(`handler ${event.pid}: restored ${event.tables.join(', ')}`),
    );
  }
  const persister =
    options.stateFile === undefined
      ? undefined
      : new StatePersister(options.stateFile, sockopt, {
          counterFlushMs: options.counterFlushMs,
          log,
        });
  return {
    sockopt,
    request: async (request, { signal }) => {
      const reply = await dispatch(sockopt, request, signal);
      // A table change is on disk before its caller hears of it; counters soon after.
      if (persister && reply.status >= 0) {
        if (sockopt.changeCount !== persister.savedChangeCount) await persister.saveNow();
        else if (
          !request.isSet &&
          (request.cmd === UMD_CMD_CLASSIFY || request.cmd === UMD_CMD_CLASSIFY_BATCH)
        )
          persister.saveSoon();
      }
      return reply;
    },
    close: async () => {
      try {
        await persister?.close();
      } finally {
        if (owned) await sockopt.stop();
      }
    },
  };
}

async function dispatch(
  sockopt: BpfilterSockopt,
  request: MboxRequest,
  signal: AbortSignal,
): Promise<BackendReply> {
  const call = { signal, pid: request.pid, addr: request.addr };
  if (request.isSet) {
    // A set's bytes are all in the request (callerBuffer gives them as they are): the frame's.
    const inFrame = { ...call, [OPTVAL_IN_FRAME]: true } as const;
    const result = await sockopt.setsockopt(request.cmd, callerBuffer(request), inFrame);
    return { status: result.status, body: result.data };
  }
  if (request.cmd === UMD_CMD_TABLE_NAMES) {
    const names = await sockopt.tableNames(call);
    return { status: 0, body: new TextEncoder().encode(names.map((name) => `${name}\n`).join('')) };
  }
  if (request.cmd === UMD_CMD_CLASSIFY) {
    const table = classifyTable(request.data);
    if (table === undefined) return { status: -errnoOf('EINVAL') };
    return sockopt.classify(table, request.data, call);
  }
  if (request.cmd === UMD_CMD_CLASSIFY_BATCH) {
    // The table name sits at bytes 8..40 of the batch header; the handler checks the rest.
    if (request.data.length < 40) return { status: -errnoOf('EINVAL') };
    return sockopt.classifyBatch(readCString(request.data, 8, 32), request.data, call);
  }
  const result = await sockopt.getsockopt(request.cmd, callerBuffer(request), call);
  return { status: result.status, body: result.data };
}

/** The caller's buffer: `len` bytes, from the inline bytes (a get may send fewer: the rest reads as zero). */
function callerBuffer(request: MboxRequest): Uint8Array {
  if (request.data.length === request.len) return request.data;
  const buffer = new Uint8Array(request.len);
  buffer.set(request.data.subarray(0, request.len));
  return buffer;
}

/** The table a CLASSIFY request names (its body is JSON `{ table, hook, packet }`). */
function classifyTable(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { table?: unknown };
    return typeof parsed.table === 'string' ? parsed.table : undefined;
  } catch {
    return undefined;
  }
}
