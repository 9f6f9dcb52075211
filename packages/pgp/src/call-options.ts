/** The options of {@link PgpVerifier}'s calls, read once and checked. */
import { checkObject, checkSignal, readingOptions } from '@umd/core';
import type { AppraiseOptions } from './appraise.js';
import type { CallOptions, VerifyOptions } from './driver.js';
import type { RpmFile, RpmResult } from './rpm.js';
import { isPgpError, PgpError } from './errors.js';

const PGP_OPTIONS_ERRORS = {
  invalid: (message: string, cause: unknown) =>
    new PgpError('PGP_INVALID_ARGUMENT', message, { cause }),
  isOwn: (error: unknown) => isPgpError(error),
};

/**
 * Reads a caller's options once: a getter (or proxy) of theirs that throws, or a value that is
 * not an object where one is needed, is `PGP_INVALID_ARGUMENT`, never a bare TypeError.
 */
export function reading<T>(read: () => T): T {
  return readingOptions(undefined, 'the options', read, PGP_OPTIONS_ERRORS);
}

/**
 * An options bag as given: `{}` for `null`/`undefined`, `PGP_INVALID_ARGUMENT` for anything
 * else that is no options bag (an array included), by `@umd/core`'s own rule (`checkObject`).
 * Call it inside {@link reading}, which types a getter's throw.
 */
export function optionsBag<T extends object>(given: T | null | undefined): T {
  try {
    return checkObject<T>(given, 'options', undefined);
  } catch (error) {
    // The same refusal in pgp's error family.
    throw new PgpError('PGP_INVALID_ARGUMENT', (error as Error).message);
  }
}

/** A call's `{ signal, timeoutMs }`, read once (`null`/`undefined`: none). */
export function callOptions(given: CallOptions | null | undefined): CallOptions {
  return reading(() => {
    const { signal, timeoutMs } = optionsBag(given);
    return { signal, timeoutMs };
  });
}

/**
 * A verify call's options, read once: `keys` is required, `now` must be a valid Date, and the
 * bag is one by {@link optionsBag}'s rule (an array or a Map of options is refused).
 */
export function verifyOptions(given: VerifyOptions): VerifyOptions {
  return reading(() => {
    if (typeof given !== 'object' || given === null)
      throw new PgpError('PGP_INVALID_ARGUMENT', 'a verify call needs options with keys');
    const { keys, now, signal, timeoutMs } = optionsBag(given);
    if (now !== undefined && !(now instanceof Date && !Number.isNaN(now.getTime())))
      throw new PgpError('PGP_INVALID_ARGUMENT', 'now must be a valid Date');
    return { keys, now, signal, timeoutMs };
  });
}

/** A verify call's "now" (milliseconds): its `now`, or the clock. */
export function now(options: VerifyOptions): number {
  return options.now?.getTime() ?? Date.now();
}

/**
 * {@link appraise}'s file and options, read once: `file` a string, `packages` an array (its
 * entries as they are: `verifyRpm` results), `path` and `root` strings, `signal` an
 * `AbortSignal`. Anything else is `PGP_INVALID_ARGUMENT`, never a bare TypeError.
 */
export function appraiseOptions(file: unknown, given: AppraiseOptions): CheckedAppraiseOptions {
  const invalid = (message: string) => new PgpError('PGP_INVALID_ARGUMENT', message);
  if (typeof file !== 'string') throw invalid(`appraise: file must be a path, got ${typeof file}`);
  return reading(() => {
    if (typeof given !== 'object' || given === null)
      throw invalid('appraise needs options with packages');
    const { packages, path, root, signal } = optionsBag(given);
    if (!Array.isArray(packages))
      throw invalid('appraise: packages must be an array of verifyRpm results');
    for (const [name, value] of [
      ['path', path],
      ['root', root],
    ] as const) {
      if (value !== undefined && typeof value !== 'string')
        throw invalid(`appraise: ${name} must be a string, got ${typeof value}`);
    }
    const entries = packages.map((entry, at) => appraisedPackage(entry, at, invalid));
    try {
      return { packages: entries, path, root, signal: checkSignal(signal, 'appraise') };
    } catch (error) {
      throw invalid((error as Error).message);
    }
  });
}

/**
 * What {@link appraise} reads of one `verifyRpm` result, read once and checked: a result that is
 * no object, or whose status, names, file list or digest algorithm have the wrong types, is
 * `PGP_INVALID_ARGUMENT` (it would have been a bare TypeError in the middle of the appraisal).
 */
function appraisedPackage(
  entry: unknown,
  at: number,
  invalid: (message: string) => PgpError,
): AppraisedPackage {
  const what = `appraise: packages[${at}]`;
  if (typeof entry !== 'object' || entry === null)
    throw invalid(
      `${what} must be a verifyRpm result, got ${entry === null ? 'null' : typeof entry}`,
    );
  const { status, name, version, release, arch, files, fileDigestAlgorithm } = entry as RpmResult;
  for (const [field, value] of Object.entries({ status, name, version, release, arch })) {
    if (typeof value !== 'string')
      throw invalid(`${what}.${field} must be a string, got ${typeof value}`);
  }
  if (fileDigestAlgorithm !== undefined && !Number.isInteger(fileDigestAlgorithm))
    throw invalid(`${what}.fileDigestAlgorithm must be an integer`);
  if (files !== undefined && !Array.isArray(files)) throw invalid(`${what}.files must be an array`);
  const listed = files?.map((file: unknown, n) => {
    const { path, digest } = (typeof file === 'object' && file !== null ? file : {}) as RpmFile;
    if (typeof path !== 'string' || typeof digest !== 'string')
      throw invalid(`${what}.files[${n}] must have a string path and digest`);
    return { path, digest };
  });
  return { status, name, version, release, arch, files: listed, fileDigestAlgorithm };
}

/** The fields of a `verifyRpm` result that {@link appraise} reads, checked. */
export type AppraisedPackage = Pick<
  RpmResult,
  'status' | 'name' | 'version' | 'release' | 'arch' | 'fileDigestAlgorithm'
> & { files: Pick<RpmFile, 'path' | 'digest'>[] | undefined };

/** {@link appraise}'s options as {@link appraiseOptions} read them. */
export type CheckedAppraiseOptions = Omit<AppraiseOptions, 'packages'> & {
  packages: readonly AppraisedPackage[];
};
