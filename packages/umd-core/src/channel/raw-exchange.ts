import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import {
  type ReplyOptions,
  checkPayload,
  checkReplyInto,
  checkRequestOptions,
} from './request-options.js';

/** One `exchange()` call of a raw channel, from the call until it settles. */
export interface Exchange {
  readonly request: Uint8Array;
  /** The request's length at the call: the handler reads exactly that many bytes. */
  readonly requestLength: number;
  readonly reply: Uint8Array;
  /** The reply's length (a caller's `reply` reads as empty once its buffer is transferred away). */
  readonly length: number;
  /** `reply` is the caller's `replyInto` memory. */
  readonly callerMemory: boolean;
  /**
   * The caller transferred that memory mid-call, or gave up on the call (its signal): the rest
   * of the reply is read and dropped.
   */
  lost: boolean;
  /** The caller gave up (its signal) while the reply was coming: the call has settled. */
  abandoned: boolean;
  filled: number;
  readonly resolve: (reply: Uint8Array) => void;
  readonly reject: (error: UmdError) => void;
  disarm: () => void;
  state: 'queued' | 'active' | 'done';
}

/** Rejects `exchange` with `error`, done for good, unless it already settled (or was abandoned). */
export function rejectPending(exchange: Exchange, error: UmdError): void {
  if (exchange.state === 'done' || exchange.abandoned) return;
  exchange.state = 'done';
  exchange.disarm();
  exchange.reject(error);
}

/**
 * Validates the arguments of `exchange()` (nothing is sent when they are refused).
 *
 * @throws UmdError `UMD_INVALID_ARGUMENT`; `UMD_TOO_LARGE` for a `replyLength` over `maxReply`.
 */
export function checkExchange(
  request: Uint8Array,
  replyLength: number,
  maxReply: number,
  options: ReplyOptions,
): void {
  checkPayload(request, 'request');
  if (!Number.isInteger(replyLength) || replyLength < 0) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `replyLength must be an integer >= 0, got ${replyLength}`,
    );
  }
  if (replyLength > maxReply) {
    throw new UmdError(
      UmdErrorCode.TOO_LARGE,
      `reply length ${replyLength} exceeds maxReply ${maxReply}; nothing was sent`,
    );
  }
  checkRequestOptions(options);
  checkReplyInto(options.replyInto, request);
  const { replyInto } = options;
  if (replyInto !== undefined && replyInto.byteLength < replyLength) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `replyInto holds ${replyInto.byteLength} bytes, fewer than the reply length ${replyLength}; nothing was sent`,
    );
  }
}
