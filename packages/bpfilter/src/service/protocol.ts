/**
 * What the preload library (native/bpfilter_preload.c) and the service agree on. The C side
 * has the same numbers in native/bpfilter_preload.h; protocol.test.ts keeps them in step.
 *
 * On the Unix socket both sides speak the umd wire format, framed mode: the service is the
 * "handler" end (it sends HELLO on accept), the preload the "host" end (REQUEST frames whose
 * payload is the kernel's mbox_request header plus the option bytes; one REPLY per request,
 * payload i32 status then the bytes to copy back, or an ERROR frame when the service could
 * not run the request at all).
 */
import { UMD_CMD_TABLE_NAMES } from '../abi/constants.js';

/** Environment variable that tells the preload library where the service listens. */
export const BPFILTER_SOCKET_ENV = 'BPFILTER_SOCKET';

/** Name the service announces in its HELLO frame. */
export const SERVICE_NAME = 'bpfilter';

/** The get command the preload sends to read `/proc/net/ip_tables_names` (the handler's own). */
export const SERVICE_CMD_TABLE_NAMES = UMD_CMD_TABLE_NAMES;

/** Largest request the service accepts from a client (a whole table fits many times over). */
export const SERVICE_MAX_PAYLOAD = 64 * 1024 * 1024;

/** Bytes of requests and unsent replies the service holds for all its clients at once (see ClientBudget). */
export const SERVICE_CLIENT_BUDGET = 4 * SERVICE_MAX_PAYLOAD;
