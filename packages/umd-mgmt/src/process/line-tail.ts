/**
 * Splits a byte stream into lines and keeps the last `capacity` of them, for error reports.
 * Over-long lines are cut at `maxLineLength` so a handler cannot balloon the host's memory.
 */
export class LineTail {
  readonly #capacity: number;
  readonly #maxLineLength: number;
  readonly #lines: string[] = [];
  #partial = '';
  readonly #decoder = new TextDecoder();

  constructor(capacity = 32, maxLineLength = 4096) {
    this.#capacity = capacity;
    this.#maxLineLength = maxLineLength;
  }

  /** Feeds a chunk; returns the complete lines it finished. */
  push(chunk: Uint8Array): string[] {
    const text = this.#partial + this.#decoder.decode(chunk, { stream: true });
    const parts = text.split('\n');
    this.#partial = parts.pop()!.slice(0, this.#maxLineLength);
    const done = parts.map((line) => this.#clip(line));
    for (const line of done) this.#remember(line);
    return done;
  }

  /** Flushes an unterminated last line (at end of stream); returns it if there was one. */
  end(): string | undefined {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = '';
    if (rest === '') return undefined;
    const line = this.#clip(rest);
    this.#remember(line);
    return line;
  }

  /** Forgets an unfinished line: the bytes that follow are not its continuation. */
  skip(): void {
    this.#partial = '';
    this.#decoder.decode();
  }

  /** The last lines seen, oldest first (a copy). */
  lines(): string[] {
    return this.#partial === ''
      ? [...this.#lines]
      : [...this.#lines, this.#partial].slice(-this.#capacity);
  }

  #clip(line: string): string {
    const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
    return trimmed.length > this.#maxLineLength
      ? `${trimmed.slice(0, this.#maxLineLength)}…`
      : trimmed;
  }

  #remember(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.#capacity) this.#lines.shift();
  }
}
