/**
 * What an error message says of anything thrown: an error's `message` (also of an error from
 * another realm), else its string form. A thrown string or `null` is named as such instead of
 * reading as "undefined", and a value whose `toString` throws still gets a description.
 */
export function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof cause === 'object' && cause !== null) {
    const message = (cause as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  try {
    return String(cause);
  } catch {
    return Object.prototype.toString.call(cause);
  }
}
