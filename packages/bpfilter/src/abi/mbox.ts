/**
 * The handler's request and reply framing, kept from the kernel's bpfilter
 * (`struct mbox_request` / `struct mbox_reply`), with the option bytes inline.
 *
 * Request: 24-byte header, little-endian: u64 addr, u32 len, u32 is_set, u32 cmd, u32 pid;
 * then the option bytes. For a set: exactly `len` bytes. For a get: the caller's buffer as
 * passed in; it may be cut short (a caller need not send the garbage tail of a large
 * GET_ENTRIES buffer): missing bytes read as zero, but `len` stays the caller's buffer size.
 *
 * Reply: i32 status (0 or a result >= 0, or -errno), then the bytes to copy back into the
 * caller's buffer (gets), or the old counters (a successful SET_REPLACE), or a JSON/text
 * body (umd commands).
 */
import { viewOf } from './bytes.js';

/** Size of `struct mbox_request`. */
export const MBOX_REQUEST_HEADER_SIZE = 24;

/** A decoded handler request. */
export interface MboxRequest {
  /** The caller's `optval` address (informational: a separate process cannot use it). */
  addr: bigint;
  /** The caller's option length. */
  len: number;
  /** 1 for setsockopt, 0 for getsockopt and umd commands. */
  isSet: boolean;
  /** Option number (or umd command). */
  cmd: number;
  /** The caller's pid (informational). */
  pid: number;
  /** The inline option bytes. */
  data: Uint8Array;
}

/** A request to encode: the header's fields (`len` defaults to `data.length`) and the option bytes. */
export interface MboxRequestFields {
  isSet: boolean;
  cmd: number;
  data?: Uint8Array;
  len?: number;
  addr?: bigint;
  pid?: number;
}

/** Encode a request: header + inline option bytes (`len` defaults to `data.length`). */
export function encodeMboxRequest(req: MboxRequestFields): Uint8Array {
  const data = req.data ?? new Uint8Array(0);
  const bytes = new Uint8Array(MBOX_REQUEST_HEADER_SIZE + data.length);
  writeMboxRequestHeader(bytes, req, data.length);
  bytes.set(data, MBOX_REQUEST_HEADER_SIZE);
  return bytes;
}

/**
 * The request with its option bytes where they are: `req.data` must follow
 * {@link MBOX_REQUEST_HEADER_SIZE} bytes of the same memory that the caller gives for the
 * header (a client's own request frame, whose header they were). The header is written there
 * and the whole returned as one view: no copy of the bytes. Undefined when no such room is
 * before them (then {@link encodeMboxRequest}).
 */
export function mboxRequestInPlace(
  req: MboxRequestFields & { data: Uint8Array },
): Uint8Array | undefined {
  const { data } = req;
  if (data.byteOffset < MBOX_REQUEST_HEADER_SIZE) return undefined;
  const bytes = new Uint8Array(
    data.buffer,
    data.byteOffset - MBOX_REQUEST_HEADER_SIZE,
    MBOX_REQUEST_HEADER_SIZE + data.length,
  );
  writeMboxRequestHeader(bytes, req, data.length);
  return bytes;
}

function writeMboxRequestHeader(bytes: Uint8Array, req: MboxRequestFields, length: number): void {
  const view = viewOf(bytes);
  view.setBigUint64(0, req.addr ?? 0n, true);
  view.setUint32(8, (req.len ?? length) >>> 0, true);
  view.setUint32(12, req.isSet ? 1 : 0, true);
  view.setUint32(16, req.cmd >>> 0, true);
  view.setUint32(20, (req.pid ?? 0) >>> 0, true);
}

/** Decode a request; `undefined` if shorter than the header. */
export function decodeMboxRequest(bytes: Uint8Array): MboxRequest | undefined {
  if (bytes.length < MBOX_REQUEST_HEADER_SIZE) return undefined;
  const view = viewOf(bytes);
  return {
    addr: view.getBigUint64(0, true),
    len: view.getUint32(8, true),
    isSet: view.getUint32(12, true) !== 0,
    cmd: view.getUint32(16, true),
    pid: view.getUint32(20, true),
    data: bytes.subarray(MBOX_REQUEST_HEADER_SIZE),
  };
}

/** Size of `struct mbox_reply`'s status, before the reply's bytes. */
export const MBOX_REPLY_HEADER_SIZE = 4;

/** Writes a reply's i32 `status` at `offset` of `target` (the bytes after it are the body). */
export function writeMboxReplyStatus(target: Uint8Array, offset: number, status: number): void {
  viewOf(target).setInt32(offset, status, true);
}

/** Encode a reply: i32 status then `body`. */
export function encodeMboxReply(status: number, body?: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(MBOX_REPLY_HEADER_SIZE + (body?.length ?? 0));
  writeMboxReplyStatus(bytes, 0, status);
  if (body) bytes.set(body, MBOX_REPLY_HEADER_SIZE);
  return bytes;
}

/** Decode a reply into its status and body; `undefined` if shorter than 4 bytes. */
export function decodeMboxReply(
  bytes: Uint8Array,
): { status: number; body: Uint8Array } | undefined {
  if (bytes.length < 4) return undefined;
  return { status: viewOf(bytes).getInt32(0, true), body: bytes.subarray(4) };
}
