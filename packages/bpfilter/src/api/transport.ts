/**
 * What the API needs to reach bpfilter: the socket-option calls and the two umd commands.
 * Two implementations: the in-process front end ({@link BpfilterSockopt}, which runs the
 * handler) and a client of a running `bpfilter serve` (the tables iptables programs see).
 */
import type { RequestOptions } from '@umd/core';
import type { ServiceClient } from '../service/client.js';
import type { BpfilterSockopt } from '../sockopt/index.js';

/** The status and bytes of one answered call. */
export interface TransportReply {
  /** 0 or a negative errno. */
  status: number;
  /** The bytes copied back (gets), the old counters (SET_REPLACE), or a command's body. */
  data?: Uint8Array;
}

/** A way to reach bpfilter's handler. */
export interface BpfilterTransport {
  /** `getsockopt(SOL_IP, optname)`: `optval` is the caller's buffer; resolves with the kernel-style status and the bytes to copy back. */
  getsockopt(
    optname: number,
    optval: Uint8Array,
    options?: RequestOptions,
  ): Promise<TransportReply>;
  /** `setsockopt(SOL_IP, optname, optval)`: resolves with the status (and a replace's old counters). */
  setsockopt(
    optname: number,
    optval: Uint8Array,
    options?: RequestOptions,
  ): Promise<TransportReply>;
  /** The CLASSIFY command; `body` is the JSON request `{ table, hook, packet }`. */
  classify(table: string, body: Uint8Array, options?: RequestOptions): Promise<TransportReply>;
  /** The CLASSIFY_BATCH command; `body` is its binary request (`abi/classify-batch.ts`). */
  classifyBatch(table: string, body: Uint8Array, options?: RequestOptions): Promise<TransportReply>;
  /** The tables in use, newest first. */
  tableNames(options?: RequestOptions): Promise<string[]>;
  /** Releases the transport (stops an in-process handler, closes a connection). */
  close(): Promise<void>;
}

/** A transport over an in-process front end; `close()` stops its handler. */
export function sockoptTransport(sockopt: BpfilterSockopt): BpfilterTransport {
  return {
    getsockopt: (optname, optval, options) => sockopt.getsockopt(optname, optval, options),
    setsockopt: (optname, optval, options) => sockopt.setsockopt(optname, optval, options),
    classify: async (table, body, options) => {
      const reply = await sockopt.classify(table, body, options);
      return { status: reply.status, data: reply.body };
    },
    classifyBatch: async (table, body, options) => {
      const reply = await sockopt.classifyBatch(table, body, options);
      return { status: reply.status, data: reply.body };
    },
    tableNames: (options) => sockopt.tableNames(options),
    close: () => sockopt.stop(),
  };
}

/** A transport over a connection to `bpfilter serve`; `close()` closes the connection only. */
export function serviceTransport(client: ServiceClient): BpfilterTransport {
  return {
    getsockopt: (optname, optval, options) => client.getsockopt(optname, optval, options),
    setsockopt: (optname, optval, options) => client.setsockopt(optname, optval, options),
    classify: (_table, body, options) => client.classify(body, options),
    classifyBatch: (_table, body, options) => client.classifyBatch(body, options),
    tableNames: (options) => client.tableNames(options),
    close: async () => client.close(),
  };
}
