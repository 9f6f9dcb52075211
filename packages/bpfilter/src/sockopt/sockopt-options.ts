/** The front end's options and results (`BpfilterSockopt`). */
import {
  checkInteger,
  checkObject,
  checkSignal,
  invalidArgument,
  type RequestOptions,
  readingOptions,
  showValue,
} from '@umd/core';
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

/**
 * A call's options, read once: an options bag (`null`/`undefined`: none), `signal` an
 * `AbortSignal`, `pid` a u32, `addr` a u64 bigint; a getter or proxy of the caller's that
 * throws is `UMD_INVALID_ARGUMENT` too, never a bare error. `timeoutMs` is passed on as given:
 * the manager refuses a bad one.
 */
export function sockoptCallOptions(
  given: SockoptCallOptions | null | undefined,
): SockoptCallOptions {
  return readingOptions('bpfilter', 'the call options', () => {
    const bag = checkObject<SockoptCallOptions>(given, 'call options', 'bpfilter');
    const { signal, timeoutMs, pid, addr } = bag;
    if (addr !== undefined && (typeof addr !== 'bigint' || addr < 0n || addr >= 2n ** 64n))
      throw invalidArgument('bpfilter', `addr must be a u64 bigint, got ${showValue(addr)}`);
    return {
      signal: checkSignal(signal, 'bpfilter'),
      timeoutMs,
      pid:
        pid === undefined
          ? undefined
          : checkInteger(pid, 'pid', 'bpfilter', undefined, 0, 2 ** 32 - 1),
      addr,
      // The service's own mark, a symbol no caller outside the package can name: kept as given.
      [OPTVAL_IN_FRAME]: bag[OPTVAL_IN_FRAME] === true ? true : undefined,
    };
  });
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
