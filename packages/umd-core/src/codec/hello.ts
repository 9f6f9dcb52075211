import { MAX_PAYLOAD_LIMIT, PROTOCOL_VERSION } from './constants.js';
import { protocolError } from './protocol-error.js';
import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/** What a handler announces in its HELLO frame. */
export interface Hello {
  /** Wire format version (1). */
  version: number;
  /** Largest request payload the handler accepts, in bytes. */
  maxPayload: number;
  /** The handler's name. */
  name: string;
}

const HELLO_FIXED_SIZE = 8;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** Encodes a HELLO payload: u16 version, u16 reserved (0), u32 max payload, UTF-8 name. */
export function encodeHello(hello: Hello): Uint8Array {
  const { version, maxPayload, name } = hello;
  if (!Number.isInteger(version) || version < 0 || version > 0xffff) {
    throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, `HELLO version ${version} is not a u16`);
  }
  if (!Number.isInteger(maxPayload) || maxPayload < 0 || maxPayload > MAX_PAYLOAD_LIMIT) {
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `HELLO maxPayload ${maxPayload} is not a u32`,
    );
  }
  const nameBytes = utf8Encoder.encode(name);
  const payload = new Uint8Array(HELLO_FIXED_SIZE + nameBytes.byteLength);
  const view = new DataView(payload.buffer);
  view.setUint16(0, version, true);
  view.setUint16(2, 0, true);
  view.setUint32(4, maxPayload, true);
  payload.set(nameBytes, HELLO_FIXED_SIZE);
  return payload;
}

/**
 * Decodes a HELLO payload.
 * @throws UmdError `UMD_PROTOCOL` when it is too short, names another version, has reserved bits set
 * or a name that is not UTF-8.
 */
export function decodeHello(payload: Uint8Array): Hello {
  if (payload.byteLength < HELLO_FIXED_SIZE) {
    throw protocolError(
      `HELLO payload of ${payload.byteLength} bytes is shorter than ${HELLO_FIXED_SIZE}`,
    );
  }
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const version = view.getUint16(0, true);
  if (version !== PROTOCOL_VERSION)
    throw protocolError(
      `HELLO announces protocol version ${version}, this host speaks ${PROTOCOL_VERSION}`,
    );
  const reserved = view.getUint16(2, true);
  if (reserved !== 0)
    throw protocolError(`HELLO has non-zero reserved field 0x${reserved.toString(16)}`);
  const maxPayload = view.getUint32(4, true);
  let name: string;
  try {
    name = utf8Decoder.decode(payload.subarray(HELLO_FIXED_SIZE));
  } catch (cause) {
    throw protocolError('HELLO name is not valid UTF-8', { cause });
  }
  return { version, maxPayload, name };
}
