/**
 * Whether `a` and `b` hold the same bytes: for a test's `expect(sameBytes(reply,
 * payload)).toBe(true)` on large buffers, where `toEqual` would print a diff of megabytes
 * when they differ (and compares element by element when they do not).
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return (
    a.byteLength === b.byteLength &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    )
  );
}
