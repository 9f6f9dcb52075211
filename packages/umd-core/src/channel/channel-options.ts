/**
 * The options of the two channels, their defaults and bounds: checked once, in the constructor,
 * before any stream is touched (a bad option throws `UMD_INVALID_ARGUMENT`).
 */
import { DEFAULT_MAX_PAYLOAD, MAX_PAYLOAD_LIMIT } from '../codec/constants.js';
import { checkInteger } from '../shared/check-options.js';

/** Options of {@link FramedChannel}. */
export interface FramedChannelOptions {
  /** Requests sent and not yet answered, at most (default 1, the kernel's serialization). Later ones wait in order. */
  maxInFlight?: number;
  /** Largest reply payload accepted; a longer frame header is a protocol violation (default 64 MiB). */
  maxPayload?: number;
}

/** Options of {@link RawChannel}. */
export interface RawChannelOptions {
  /** Largest `replyLength` accepted by `exchange()` (default 64 MiB); more is `UMD_TOO_LARGE`, nothing sent. */
  maxReply?: number;
}

/** A payload or reply size limit: 64 MiB by default, at most {@link MAX_PAYLOAD_LIMIT}. */
function sizeLimit(value: number | undefined, what: string): number {
  return checkInteger(value, what, undefined, DEFAULT_MAX_PAYLOAD, 0, MAX_PAYLOAD_LIMIT);
}

/** `options` of a framed channel, checked, with their defaults. */
export function framedLimits(options: FramedChannelOptions): Required<FramedChannelOptions> {
  return {
    maxInFlight: checkInteger(options.maxInFlight, 'maxInFlight', undefined, 1, 1, 0xffff_fffe),
    maxPayload: sizeLimit(options.maxPayload, 'maxPayload'),
  };
}

/** `options.maxReply` of a raw channel, checked, or its default. */
export function rawMaxReply(options: RawChannelOptions): number {
  return sizeLimit(options.maxReply, 'maxReply');
}
