import {
  DEFAULT_MAX_PAYLOAD,
  FRAME_HEADER_SIZE,
  FRAME_MAGIC,
  MAX_PAYLOAD_LIMIT,
  frameTypeName,
  isFrameType,
  type FrameType,
} from './constants.js';
import type { Frame } from './frame.js';
import { protocolError } from './protocol-error.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { checkInteger } from '../shared/check-options.js';

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest payload accepted; a header announcing more is a protocol error. Default 64 MiB. */
  maxPayload?: number;
  /**
   * Returns the buffer a payload of `length` bytes is decoded into (default `new Uint8Array(length)`),
   * given the frame's type and id from its already validated header. It must return exactly
   * `length` bytes (a view into a caller's buffer is fine: that is how a reply is read straight
   * into memory its requester supplied). The decoder fills every byte before handing the frame
   * out, so an allocator that skips zero-filling (Node's `Buffer.allocUnsafeSlow`) is safe.
   */
  allocate?: (length: number, type: FrameType, id: number) => Uint8Array;
}

const allocateZeroed = (length: number) => new Uint8Array(length);

const EMPTY = new Uint8Array(0);

/** Little-endian u32 at `at`, without a DataView per header. */
function readU32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 0x100_0000
  );
}

function hex(value: number, digits: number): string {
  return `0x${value.toString(16).padStart(digits, '0')}`;
}

/**
 * Streaming decoder: push bytes in any split, get whole frames out.
 *
 * The header is validated (magic, type, flags, reserved, length against `maxPayload`) as soon as
 * its 16 bytes are there, before anything is allocated for the payload. The payload buffer is then
 * allocated once at its final size and each incoming chunk is copied into it exactly once, so
 * the cost is linear whatever the split, and no pushed chunk is retained: callers may reuse the
 * buffers they push. After a malformed header the decoder stays failed and throws the same
 * `UMD_PROTOCOL` error on every later push.
 */
export class FrameDecoder {
  readonly #maxPayload: number;
  readonly #allocate: (length: number, type: FrameType, id: number) => Uint8Array;
  readonly #header = new Uint8Array(FRAME_HEADER_SIZE);
  #headerFilled = 0;
  #payload: Uint8Array | undefined;
  /** The current payload's length (its buffer reads as empty once transferred away). */
  #frameLength = 0;
  #payloadFilled = 0;
  #type: FrameType = 1;
  #id = 0;
  #failure: UmdError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    this.#maxPayload = checkInteger(
      options.maxPayload,
      'maxPayload',
      undefined,
      DEFAULT_MAX_PAYLOAD,
      0,
      MAX_PAYLOAD_LIMIT,
    );
    this.#allocate = options.allocate ?? allocateZeroed;
  }

  /** The largest payload this decoder accepts. */
  get maxPayload(): number {
    return this.#maxPayload;
  }

  /** Bytes received that belong to a frame not yet complete (header and payload so far). */
  get bufferedBytes(): number {
    return this.#payload === undefined
      ? this.#headerFilled
      : FRAME_HEADER_SIZE + this.#payloadFilled;
  }

  /** The error that failed this decoder, if any. */
  get failure(): UmdError | undefined {
    return this.#failure;
  }

  /**
   * Feeds the next bytes of the stream; returns the frames they complete, in order.
   * @throws UmdError `UMD_PROTOCOL` on a malformed header, naming what was wrong.
   */
  push(chunk: Uint8Array): Frame[] {
    if (this.#failure) throw this.#failure;
    const frames: Frame[] = [];
    let offset = 0;
    const end = chunk.byteLength;
    while (offset < end) {
      if (this.#payload === undefined) {
        // Fast path: a whole header inside this chunk is parsed in place.
        if (this.#headerFilled === 0 && end - offset >= FRAME_HEADER_SIZE) {
          this.#startFrame(chunk, offset);
          offset += FRAME_HEADER_SIZE;
        } else {
          const take = Math.min(FRAME_HEADER_SIZE - this.#headerFilled, end - offset);
          this.#header.set(chunk.subarray(offset, offset + take), this.#headerFilled);
          this.#headerFilled += take;
          offset += take;
          if (this.#headerFilled < FRAME_HEADER_SIZE) break;
          this.#headerFilled = 0;
          this.#startFrame(this.#header, 0);
        }
        if (this.#payloadLength() === 0) this.#finishFrame(frames);
        continue;
      }
      if (this.#payload.byteLength !== this.#frameLength) this.detachPayload();
      const payload: Uint8Array = this.#payload!;
      const take = Math.min(payload.byteLength - this.#payloadFilled, end - offset);
      payload.set(
        take === end - offset && offset === 0 ? chunk : chunk.subarray(offset, offset + take),
        this.#payloadFilled,
      );
      this.#payloadFilled += take;
      offset += take;
      if (this.#payloadFilled === payload.byteLength) this.#finishFrame(frames);
    }
    return frames;
  }

  /**
   * The part of the current frame's payload still to be filled, for readers that can read
   * straight into it (saving the one copy); `undefined` between payloads. Call
   * {@link FrameDecoder.commitPayload} with the number of bytes written there.
   */
  payloadTarget(): Uint8Array | undefined {
    const payload = this.#payload;
    if (payload === undefined || this.#failure || payload.byteLength === 0) return undefined;
    return payload.subarray(this.#payloadFilled);
  }

  /**
   * Stops filling the current payload's buffer: the bytes received so far are copied into a buffer
   * of the default allocator and the rest of the frame goes there. For a requester who gave up
   * (abort, timeout) on a reply that was being read into its own memory: from this call on, the
   * decoder never writes into that memory again. No-op between payloads. A buffer that was
   * transferred away (detached) has lost those bytes: they are zeros in the new one, and the
   * decoder does this by itself when it finds the buffer gone.
   */
  detachPayload(): void {
    const payload = this.#payload;
    if (payload === undefined || payload === EMPTY) return;
    const fresh = new Uint8Array(this.#frameLength);
    if (payload.byteLength === this.#frameLength)
      fresh.set(payload.subarray(0, this.#payloadFilled));
    this.#payload = fresh;
  }

  /** Accounts for `count` bytes written into {@link FrameDecoder.payloadTarget}; returns the frame if it is now complete. */
  commitPayload(count: number): Frame | undefined {
    if (this.#payload !== undefined && this.#payload.byteLength !== this.#frameLength)
      this.detachPayload();
    const payload = this.#payload;
    if (
      payload === undefined ||
      !Number.isInteger(count) ||
      count < 0 ||
      this.#payloadFilled + count > payload.byteLength
    ) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `cannot commit ${count} payload bytes here`,
      );
    }
    this.#payloadFilled += count;
    if (this.#payloadFilled < payload.byteLength) return undefined;
    const frames: Frame[] = [];
    this.#finishFrame(frames);
    return frames[0];
  }

  #payloadLength(): number | undefined {
    return this.#payload?.byteLength;
  }

  /** Validates the header at `bytes[at..at+16]` and allocates its payload. */
  #startFrame(bytes: Uint8Array, at: number): void {
    const magic = readU32(bytes, at);
    if (magic !== FRAME_MAGIC) {
      const shown = [0, 1, 2, 3].map((i) => bytes[at + i]!.toString(16).padStart(2, '0')).join(' ');
      this.#fail(`bad magic bytes ${shown} (expected 55 4d 44 31, "UMD1")`);
    }
    const type = bytes[at + 4]!;
    if (!isFrameType(type)) this.#fail(`unknown frame type ${type}`);
    const flags = bytes[at + 5]!;
    if (flags !== 0)
      this.#fail(`non-zero flags ${hex(flags, 2)} in a ${frameTypeName(type)} frame`);
    const reserved = bytes[at + 6]! | (bytes[at + 7]! << 8);
    if (reserved !== 0)
      this.#fail(`non-zero reserved field ${hex(reserved, 4)} in a ${frameTypeName(type)} frame`);
    const id = readU32(bytes, at + 8);
    const length = readU32(bytes, at + 12);
    if (length > this.#maxPayload) {
      this.#fail(
        `payload length ${length} of ${frameTypeName(type)} frame ${id} exceeds the maximum of ${this.#maxPayload} bytes`,
        id,
      );
    }
    this.#type = type;
    this.#id = id;
    this.#payload = length === 0 ? EMPTY : this.#checkedAllocation(length, type, id);
    this.#frameLength = length;
    this.#payloadFilled = 0;
  }

  #checkedAllocation(length: number, type: FrameType, id: number): Uint8Array {
    const payload = this.#allocate(length, type, id);
    if (!(payload instanceof Uint8Array) || payload.byteLength !== length) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `the payload allocator returned ${payload?.byteLength} bytes for a payload of ${length}`,
      );
    }
    return payload;
  }

  #finishFrame(frames: Frame[]): void {
    const payload = this.#payload === EMPTY ? new Uint8Array(0) : this.#payload!;
    frames.push({ type: this.#type, id: this.#id, payload });
    this.#payload = undefined;
    this.#payloadFilled = 0;
  }

  #fail(message: string, requestId?: number): never {
    this.#headerFilled = 0;
    this.#payload = undefined;
    this.#failure = protocolError(message, requestId === undefined ? {} : { requestId });
    throw this.#failure;
  }
}
