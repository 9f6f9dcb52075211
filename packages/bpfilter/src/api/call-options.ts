/** The options of {@link Bpfilter}'s calls, read once and checked. */
import {
  checkBoolean,
  checkObject,
  checkSignal,
  invalidArgument,
  readingOptions,
  showValue,
} from '@umd/core';
import type { FormatSaveOptions } from '../text/print-save.js';
import type { BatchOptions } from './batch-codec.js';
import type { ReplaceOptions } from './table-sockopts.js';

/** Every option a `Bpfilter` call may take (each call reads the ones it has). */
export type BpfilterCallOptions = ReplaceOptions &
  FormatSaveOptions &
  BatchOptions & { tables?: readonly string[] };

const OWNER = 'bpfilter';

/** A boolean option as given, `undefined` when absent: each call has its own default. */
function flag(value: unknown, what: string): boolean | undefined {
  return value === undefined || value === null
    ? undefined
    : checkBoolean(value, what, OWNER, false);
}

/**
 * A call's options, read once: an options bag (`null`/`undefined`: none), `signal` an
 * `AbortSignal`, `counters` and `opaque` booleans (the string `'false'` must not turn them
 * on), `tables` an array of names (a string is not: its letters are no tables). A getter or
 * proxy of the caller's that throws is `UMD_INVALID_ARGUMENT`, never a bare error.
 * `timeoutMs` is passed on as given (the manager refuses a bad one), and so are `time` and
 * `localAddresses` (the batch encoder checks them).
 */
export function callOptions<T extends BpfilterCallOptions>(given: T | null | undefined): T {
  return readingOptions(OWNER, 'the call options', () => {
    const bag = checkObject<BpfilterCallOptions>(given, 'call options', OWNER);
    const { signal, timeoutMs, counters, opaque, tables, time, localAddresses } = bag;
    if (
      tables !== undefined &&
      !(Array.isArray(tables) && tables.every((name) => typeof name === 'string'))
    )
      throw invalidArgument(
        OWNER,
        `tables must be an array of table names, got ${showValue(tables)}`,
      );
    return {
      signal: checkSignal(signal, OWNER),
      timeoutMs,
      counters: flag(counters, 'counters'),
      opaque: flag(opaque, 'opaque'),
      tables: tables === undefined ? undefined : [...tables],
      time,
      localAddresses,
    } as T;
  });
}

/** `value` as JSON; a getter or proxy of the caller's that throws is `UMD_INVALID_ARGUMENT`. */
export function callerJson(value: unknown, what: string): string {
  return readingOptions(OWNER, what, () => JSON.stringify(value));
}
