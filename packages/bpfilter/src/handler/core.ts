/**
 * The bpfilter handler as a pure function: one request payload in (the kernel's
 * `mbox_request` header and the option bytes inline), one reply payload out (i32 status and
 * the bytes to return). It never throws on bad input: every fault is a negative errno and a
 * line in the log. `main.ts` runs it under `serve()`.
 */
import {
  Errno,
  IPT_GET_ENTRIES_HEADER_SIZE,
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_GET_REVISION_MATCH,
  IPT_SO_GET_REVISION_TARGET,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
  UMD_CMD_CLASSIFY,
  UMD_CMD_CHECK_REPLACE,
  UMD_CMD_CLASSIFY_BATCH,
  UMD_CMD_KERNEL_SETS,
  UMD_CMD_REHEARSE_REPLACE,
  UMD_CMD_REPLACE,
  UMD_CMD_TABLE_NAMES,
  decodeMboxRequest,
  encodeMboxReply,
  encodeTableNames,
  type MboxRequest,
} from '../abi/index.js';
import { classifyBatchCommand } from './classify-batch-command.js';
import { classifyCommand } from './classify-command.js';
import { SO_IP_SET, ipsetSockopt } from './ipset-sockopt.js';
import { callerBuffer, getEntries, getInfo, getRevision } from './sockopt-get.js';
import { MAX_TABLE_SIZE, checkReplace, setAddCounters, setReplace } from './sockopt-set.js';
import { rehearseReplace } from './rehearse-replace.js';
import { TableStore } from './table-store.js';

/** Options of {@link createHandlerCore}. */
export interface HandlerCoreOptions {
  /** Where refusals are reported (the handler process passes stderr). Default: nowhere. */
  log?: (line: string) => void;
}

/** The handler's state and its request function. */
export interface HandlerCore {
  /** Answer one request payload. */
  handle(payload: Uint8Array): Uint8Array;
  /** The tables in use (for tests and in-process use). */
  readonly store: TableStore;
}

/** No get answers more than a whole table: a larger `len` is refused before any allocation. */
const MAX_GET_LEN = IPT_GET_ENTRIES_HEADER_SIZE + MAX_TABLE_SIZE;

/** Create a handler with fresh tables (none in use until a request names one). */
export function createHandlerCore(options: HandlerCoreOptions = {}): HandlerCore {
  const store = new TableStore();
  const log = options.log ?? (() => {});

  function dispatch(request: MboxRequest): { status: number; body?: Uint8Array; message?: string } {
    if (request.isSet) {
      if (request.data.length !== request.len) {
        return {
          status: -Errno.EINVAL,
          message: `set ${request.cmd}: len ${request.len} but ${request.data.length} option bytes carried`,
        };
      }
      switch (request.cmd) {
        case IPT_SO_SET_REPLACE:
          return setReplace(store, request.data);
        case UMD_CMD_REPLACE:
          return setReplace(store, request.data, true);
        case UMD_CMD_CHECK_REPLACE:
          return checkReplace(store, request.data);
        case UMD_CMD_REHEARSE_REPLACE:
          return rehearseReplace(store, request.data);
        case IPT_SO_SET_ADD_COUNTERS:
          return setAddCounters(store, request.data);
        case UMD_CMD_KERNEL_SETS:
          store.kernelSets = true;
          return { status: 0 };
        default:
          return { status: -Errno.EINVAL, message: `set: unknown option ${request.cmd}` };
      }
    }
    if (request.len > MAX_GET_LEN)
      return {
        status: -Errno.EINVAL,
        message: `get ${request.cmd}: len ${request.len} is larger than any answer (${MAX_GET_LEN})`,
      };
    switch (request.cmd) {
      case 0:
        return { status: 0 }; // health check (bpfilter's post-start)
      case IPT_SO_GET_INFO:
        return getInfo(store, callerBuffer(request.data, request.len));
      case IPT_SO_GET_ENTRIES:
        return getEntries(store, callerBuffer(request.data, request.len));
      case IPT_SO_GET_REVISION_MATCH:
        return getRevision('match', callerBuffer(request.data, request.len));
      case IPT_SO_GET_REVISION_TARGET:
        return getRevision('target', callerBuffer(request.data, request.len));
      case UMD_CMD_TABLE_NAMES:
        return {
          status: 0,
          body: encodeTableNames(store.names()),
        };
      case SO_IP_SET:
        return ipsetSockopt(callerBuffer(request.data, request.len));
      case UMD_CMD_CLASSIFY:
        return classifyCommand(store, request.data.subarray(0, request.len));
      case UMD_CMD_CLASSIFY_BATCH:
        return classifyBatchCommand(store, request.data.subarray(0, request.len));
      default:
        return { status: -Errno.EINVAL, message: `get: unknown option ${request.cmd}` };
    }
  }

  return {
    store,
    handle(payload) {
      const request = decodeMboxRequest(payload);
      if (!request) {
        log(`bpfilter: request of ${payload.length} bytes is shorter than mbox_request (24)`);
        return encodeMboxReply(-Errno.EINVAL);
      }
      if (request.data.length > request.len) {
        log(
          `bpfilter: cmd ${request.cmd}: ${request.data.length} option bytes carried, more than len ${request.len}`,
        );
        return encodeMboxReply(-Errno.EINVAL);
      }
      let result: { status: number; body?: Uint8Array; message?: string };
      try {
        result = dispatch(request);
      } catch (error) {
        // A bug, not bad input: report it as the kernel would report an internal fault.
        result = {
          status: -Errno.EFAULT,
          message: `internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        };
      }
      if (result.message) log(`bpfilter: ${result.message} (errno ${-result.status})`);
      return encodeMboxReply(result.status, result.status >= 0 ? result.body : undefined);
    },
  };
}
