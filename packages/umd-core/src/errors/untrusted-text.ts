// Control characters, C1 included: a terminal escape in a log line starts with one.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text a handler chose (an ERROR frame's message, its HELLO name), made fit for an error
 * message: the handler is less trusted than the host and its words reach the host's logs, so
 * every control character (a terminal escape, a forged log line) becomes `?`, and at most
 * `max` characters are kept (an ERROR payload may be as large as `maxPayload`).
 */
export function untrustedText(text: string, max: number): string {
  const kept = text.length > max ? `${text.slice(0, max)}...` : text;
  return kept.replace(CONTROL, '?');
}
