/** Size in bytes of every frame header (magic, type, flags, reserved, id, length). */
export const FRAME_HEADER_SIZE = 16;

/** Default largest payload accepted in either direction: 64 MiB. */
export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;

/** Largest payload the wire format can express (u32 length). */
export const MAX_PAYLOAD_LIMIT = 0xffff_ffff;

/** Wire format version announced in HELLO. */
export const PROTOCOL_VERSION = 1;

/** The four magic bytes "UMD1" that open every frame, read as a little-endian u32. */
export const FRAME_MAGIC = 0x31444d55;

/** The frame types of wire format version 1. */
export const FrameType = {
  /** Handler to host, first frame, once: version, max payload, name. */
  Hello: 1,
  /** Host to handler: the request bytes. */
  Request: 2,
  /** Handler to host: the reply to the request with the same id. */
  Reply: 3,
  /** Handler to host: i32 error code and a UTF-8 message, for the request with the same id. */
  Error: 4,
  /** Host to handler: the host no longer wants request `id`. Empty payload. */
  Cancel: 5,
} as const;

/** One of the values of {@link FrameType}. */
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const FRAME_TYPE_NAMES: Record<number, string> = {
  1: 'HELLO',
  2: 'REQUEST',
  3: 'REPLY',
  4: 'ERROR',
  5: 'CANCEL',
};

/** The wire name of a frame type (`HELLO`, `REQUEST`...), or `type N` for an unknown one. */
export function frameTypeName(type: number): string {
  return FRAME_TYPE_NAMES[type] ?? `type ${type}`;
}

/** True when `type` is a frame type defined by version 1. */
export function isFrameType(type: number): type is FrameType {
  return type >= FrameType.Hello && type <= FrameType.Cancel;
}
