/** A value, or a promise of one: a synchronous handler, codec or validator stays synchronous. */
export type MaybePromise<T> = T | PromiseLike<T>;

/** True for a promise or any other object with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `next(value)` now when `value` is plain, once it settles when it is a thenable: a chain of
 * steps that are each usually synchronous costs no promise and no microtask turn.
 */
export function thenOrNow<T, U>(
  value: MaybePromise<T>,
  next: (value: T) => U | Promise<U>,
): U | Promise<U> {
  return isThenable(value) ? Promise.resolve(value as PromiseLike<T>).then(next) : next(value);
}
