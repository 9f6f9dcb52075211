// Control characters, C1 included: a terminal escape in a log line starts with one.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * `text` with every control character (C0, DEL and C1: a terminal escape, a forged log line)
 * shown as `?`, for text a less trusted party wrote that reaches the host's logs. Its length
 * is unchanged, so cleaning before or after a cut gives the same text.
 */
export function withoutControlCharacters(text: string): string {
  return text.replace(CONTROL, '?');
}

/**
 * Text a handler chose (an ERROR frame's message, its HELLO name), made fit for an error
 * message: the handler is less trusted than the host and its words reach the host's logs, so
 * every control character becomes `?` ({@link withoutControlCharacters}), and at most `max`
 * characters are kept, then `...` (an ERROR payload may be as large as `maxPayload`).
 */
export function untrustedText(text: string, max: number): string {
  return withoutControlCharacters(text.length > max ? `${text.slice(0, max)}...` : text);
}
