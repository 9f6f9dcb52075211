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

/** Per-call options of the socket-option methods. */
export interface SockoptCallOptions extends RequestOptions {
  /** The caller's pid, carried in the request header (default: this process). */
  pid?: number;
  /** The caller's `optval` address, carried in the header for the handler's logs (default 0). */
  addr?: bigint;
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
