/** Below this size zero-filling is free and a plain allocation is fastest. */
export const UNINITIALIZED_MIN = 64 * 1024;

/**
 * A plain `Uint8Array` of `length` bytes that the caller will overwrite completely. Large ones
 * skip zero-filling (a full pass over memory for a 64 MiB payload); they get their own
 * `ArrayBuffer`, never a slice of Node's shared pool, so `.buffer` is safe to use.
 */
export function allocatePayload(length: number): Uint8Array {
  if (length < UNINITIALIZED_MIN) return new Uint8Array(length);
  const buffer = Buffer.allocUnsafeSlow(length);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, length);
}
