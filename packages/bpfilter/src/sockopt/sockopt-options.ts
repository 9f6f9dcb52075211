/** The front end's options and results (`BpfilterSockopt`). */
import type { RequestOptions } from '@umd/core';
import type { UmdManagerOptions } from '@umd/mgmt';
import type { XtCounters } from '../abi/table-structs.js';
import type { EnforceOptions } from '../enforce/enforcer.js';
import type { BpfilterState } from './kept-state.js';

/** What `BpfilterSockopt.setsockopt` and `getsockopt` answer. */
export interface SockoptResult {
  /** 0 on success (or a non-negative result), else a negative errno, as the kernel returns. */
  status: number;
  /**
   * For a get: the bytes to copy back into the caller's buffer (at most its length).
   * For a successful SET_REPLACE: the old counters, as the kernel writes them to `ipt_replace.counters`.
   */
  data?: Uint8Array;
  /** For a successful SET_REPLACE: the replaced table's counters, decoded. */
  oldCounters?: XtCounters[];
}

/**
 * The service's mark on a call whose `optval` is the option bytes of its client's request
 * frame: memory given for the call whole, never written or read by anyone else after it, with
 * the frame's 24-byte mbox header right before `optval`. A SET_REPLACE then goes on to the
 * handler in that memory, its header rewritten there, instead of a copy of the table.
 * Not exported from the package: another caller's buffer may be its own to change after.
 */
export const OPTVAL_IN_FRAME: unique symbol = Symbol('bpfilter: optval in a frame');

/** Per-call options of the socket-option methods. */
export interface SockoptCallOptions extends RequestOptions {
  /** The caller's pid, carried in the request header (default: this process). */
  pid?: number;
  /** The caller's `optval` address, carried in the header for the handler's logs (default 0). */
  addr?: bigint;
  /** See {@link OPTVAL_IN_FRAME}. */
  [OPTVAL_IN_FRAME]?: true;
}

/** Options of {@link BpfilterSockopt}. */
export interface BpfilterSockoptOptions {
  /** Manager options (timeouts, restart budget, sandbox...). `name`, `loader` and `postStart` are set by bpfilter. */
  manager?: Omit<UmdManagerOptions, 'name' | 'loader' | 'postStart'>;
  /** The loader to use instead of the package's own (tests, custom builds). Default: lazy import of `@umd/bpfilter`'s loader. */
  loader?: UmdManagerOptions['loader'];
  /** Tables to start from, as returned by `BpfilterSockopt.exportState`; loaded into the handler when it starts. */
  state?: BpfilterState;
  /**
   * Enforcement mode: every table bpfilter accepts is also installed into the kernel of this
   * process's network namespace through nftables (`nft`), and GET_ENTRIES counters include
   * what the kernel matched. A SET_REPLACE that cannot be enforced fails with an
   * `EnforcementError` and changes nothing. Default: off (bpfilter only keeps the tables).
   */
  enforce?: boolean | EnforceOptions;
}
