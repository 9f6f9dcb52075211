/** One line of input, or the note that a line was longer than the limit (its text is dropped). */
export type InputLine =
  | { lineNumber: number; text: string; tooLong?: false }
  | { lineNumber: number; tooLong: true; length: number };

/**
 * Splits a byte stream into lines of at most `maxLength` bytes, holding no more than that in
 * memory: a longer line is reported as `tooLong` and its bytes are skipped, never buffered.
 * A last line without a newline counts as a line.
 */
export async function* readLines(
  chunks: AsyncIterable<Uint8Array | string>,
  maxLength: number,
): AsyncGenerator<InputLine> {
  const decoder = new TextDecoder();
  let pending: Uint8Array[] = [];
  let pendingLength = 0;
  let overflow = 0; // bytes of the current line beyond the limit (0: within it)
  let lineNumber = 0;

  const finish = (): InputLine => {
    lineNumber += 1;
    const line: InputLine =
      overflow > 0
        ? { lineNumber, tooLong: true, length: pendingLength + overflow }
        : { lineNumber, text: decoder.decode(concat(pending, pendingLength)) };
    pending = [];
    pendingLength = 0;
    overflow = 0;
    return line;
  };
  const take = (bytes: Uint8Array): void => {
    if (overflow > 0 || pendingLength + bytes.length > maxLength) {
      overflow += bytes.length;
      return;
    }
    pending.push(bytes);
    pendingLength += bytes.length;
  };

  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    let start = 0;
    for (
      let newline = bytes.indexOf(10, start);
      newline !== -1;
      newline = bytes.indexOf(10, start)
    ) {
      take(bytes.subarray(start, newline));
      yield finish();
      start = newline + 1;
    }
    if (start < bytes.length) take(bytes.slice(start));
  }
  if (pendingLength > 0 || overflow > 0) yield finish();
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
