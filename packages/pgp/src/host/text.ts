/** The canonical forms of signed text (RFC 9580 sections 5.2.1 and 7.2). */

/**
 * Canonical text for a text signature (type 0x01): every LF not already after a CR becomes
 * CRLF. Streams: feed chunks in order; a CR at the end of one chunk is remembered.
 */
export class TextCanon {
  #lastWasCr = false;

  /** The canonical form of `chunk`, given the chunks before it. */
  push(chunk: Uint8Array): Buffer {
    let extra = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a && (i === 0 ? !this.#lastWasCr : chunk[i - 1] !== 0x0d)) extra++;
    }
    if (extra === 0) {
      if (chunk.length > 0) this.#lastWasCr = chunk[chunk.length - 1] === 0x0d;
      return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
    const out = Buffer.allocUnsafe(chunk.length + extra);
    let o = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (byte === 0x0a && (i === 0 ? !this.#lastWasCr : chunk[i - 1] !== 0x0d)) out[o++] = 0x0d;
      out[o++] = byte;
    }
    this.#lastWasCr = chunk[chunk.length - 1] === 0x0d;
    return out;
  }
}

/**
 * The signed text of a cleartext message, from the dash-escaped text as it stands in the
 * message: dash escapes removed, trailing spaces and tabs dropped, lines joined with CRLF.
 * Returns undefined when a line starts with a dash that is not an escape.
 */
export function cleartextSigned(escaped: Buffer): Buffer | undefined {
  const lines = escaped.toString('latin1').split('\n');
  const out: string[] = [];
  for (const raw of lines) {
    let line = raw;
    if (line.startsWith('-')) {
      if (!line.startsWith('- ')) return undefined;
      line = line.slice(2);
    }
    out.push(line.replace(/[ \t\r]+$/, ''));
  }
  return Buffer.from(out.join('\r\n'), 'latin1');
}
