/**
 * Match and target headers (`xt_entry_match` / `xt_entry_target`: 32 bytes, u16 size,
 * name[29], u8 revision, then data), the standard target (40 bytes) and the ERROR target
 * (64 bytes).
 */
import {
  readCString,
  readI32,
  readU16,
  writeCString,
  writeU16,
  writeU32,
  xtAlign,
} from './bytes.js';
import { XT_ERROR_TARGET, XT_STANDARD_TARGET } from './constants.js';
import { XT_EXTENSION_MAXNAMELEN, XT_FUNCTION_MAXNAMELEN } from './table-structs.js';

/** `sizeof(struct xt_entry_match)` = `sizeof(struct xt_entry_target)`. */
export const XT_OBJECT_HEADER_SIZE = 32;
/** Where a match/target header's name starts (after its u16 size); empty for none. */
export const XT_OBJECT_NAME_OFFSET = 2;
/** Where a match/target header's u8 revision is (after the 29-byte name). */
export const XT_OBJECT_REVISION_OFFSET = 31;
/** `sizeof(struct xt_standard_target)` after alignment: header + i32 verdict + 4 bytes pad. */
export const XT_STANDARD_TARGET_SIZE = 40;
/** `sizeof(struct xt_error_target)` after alignment: header + 30-byte name + pad. */
export const XT_ERROR_TARGET_SIZE = 64;

/** A match or target: its header fields and its data (`size - 32` bytes). */
export interface XtObject {
  name: string;
  revision: number;
  /** The data after the header, including any alignment padding. */
  data: Uint8Array;
}

/** The name of the match or target at `offset`. */
export function objectName(bytes: Uint8Array, offset: number): string {
  return readCString(bytes, offset + XT_OBJECT_NAME_OFFSET, XT_EXTENSION_MAXNAMELEN);
}

/** The revision of the match or target at `offset`. */
export function objectRevision(bytes: Uint8Array, offset: number): number {
  return bytes[offset + XT_OBJECT_REVISION_OFFSET] ?? 0;
}

/** Decode a match/target header at `offset`: `{ size, name, revision }`. */
export function decodeXtHeader(
  bytes: Uint8Array,
  offset: number,
): { size: number; name: string; revision: number } {
  return {
    size: readU16(bytes, offset),
    name: objectName(bytes, offset),
    revision: objectRevision(bytes, offset),
  };
}

/** Decode a whole match/target at `offset` (its size from its header). */
export function decodeXtObject(bytes: Uint8Array, offset: number): XtObject & { size: number } {
  const header = decodeXtHeader(bytes, offset);
  return { ...header, data: bytes.slice(offset + XT_OBJECT_HEADER_SIZE, offset + header.size) };
}

/** Encode a match/target: header + data padded to 8 bytes. */
export function encodeXtObject(object: XtObject): Uint8Array {
  const size = xtAlign(XT_OBJECT_HEADER_SIZE + object.data.length);
  if (size > 0xffff)
    throw new RangeError(`extension "${object.name}" is too large (${size} bytes)`);
  const bytes = new Uint8Array(size);
  writeU16(bytes, 0, size);
  writeCString(bytes, 2, XT_EXTENSION_MAXNAMELEN, object.name);
  bytes[31] = object.revision & 0xff;
  bytes.set(object.data, XT_OBJECT_HEADER_SIZE);
  return bytes;
}

/** Encode a standard target with its verdict (negative: -NF_x - 1 or RETURN; >= 0: jump offset). */
export function encodeStandardTarget(verdict: number): Uint8Array {
  const data = new Uint8Array(4);
  writeU32(data, 0, verdict);
  return encodeXtObject({ name: XT_STANDARD_TARGET, revision: 0, data });
}

/** The verdict of a standard target at `offset`. */
export function readStandardVerdict(bytes: Uint8Array, offset: number): number {
  return readI32(bytes, offset + XT_OBJECT_HEADER_SIZE);
}

/** Encode an ERROR target naming a user chain (or `ERROR` for the table's final entry). */
export function encodeErrorTarget(chainName: string): Uint8Array {
  const data = new Uint8Array(XT_FUNCTION_MAXNAMELEN);
  writeCString(data, 0, XT_FUNCTION_MAXNAMELEN, chainName);
  return encodeXtObject({ name: XT_ERROR_TARGET, revision: 0, data });
}

/** The chain name stored in an ERROR target at `offset`. */
export function readErrorName(bytes: Uint8Array, offset: number): string {
  return readCString(bytes, offset + XT_OBJECT_HEADER_SIZE, XT_FUNCTION_MAXNAMELEN);
}
