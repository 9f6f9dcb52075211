/** How the front end (`BpfilterSockopt`) sends a call to its handler. */
import { abortedError, UmdError, UmdErrorCode } from '@umd/core';
import type { UmdManager } from '@umd/mgmt';
import type { SockoptCallOptions } from './sockopt-options.js';
import type { SendRequest } from './table-snapshot.js';

/** The caller's part of the kernel's `mbox_request` header: its pid and `optval` address. */
export function callerHeader(options: SockoptCallOptions): { pid: number; addr: bigint } {
  return { pid: options.pid ?? process.pid, addr: options.addr ?? 0n };
}

/** @throws UmdError `UMD_INVALID_ARGUMENT` when `optval` is not a Uint8Array. */
export function checkOptval(optval: Uint8Array): void {
  if (!(optval instanceof Uint8Array))
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'bpfilter: optval must be a Uint8Array');
}

/** A read (a get, TABLE_NAMES): the caller's signal and timeout apply throughout. */
export function readSend(manager: UmdManager, options: SockoptCallOptions): SendRequest {
  const { signal, timeoutMs } = options;
  return (request) => manager.request(request, { signal, timeoutMs });
}

/**
 * A change (a set, a classification that counts): the caller's signal stops it only before
 * it is sent. Once the handler has it, the handler applies it, so it runs to completion and
 * is kept, as the kernel completes a setsockopt whatever happens to its caller; an abort then
 * would leave the handler's table ahead of the kept one (and of the kernel's, enforcing).
 */
export function changeSend(manager: UmdManager, options: SockoptCallOptions): SendRequest {
  const { signal, timeoutMs } = options;
  return (request) =>
    signal?.aborted
      ? Promise.reject(abortedError(signal, 'bpfilter: the change', undefined, 'bpfilter'))
      : manager.request(request, { timeoutMs });
}
