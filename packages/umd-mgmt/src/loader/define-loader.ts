import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkKnownKeys, readingOptions, UmdError, UmdErrorCode } from '@umd/core';
import { nodeFlagsProblem } from '../process/debug-flags.js';
import type { Loader, LoaderSpec } from './loader-types.js';

const BRAND = Symbol.for('umd.loader');
const SHA256_HEX = /^[0-9a-f]{64}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function invalid(message: string): UmdError {
  return new UmdError(UmdErrorCode.INVALID_ARGUMENT, `defineLoader: ${message}`);
}

function toPath(location: string | URL, field: string): string {
  if (location instanceof URL || (typeof location === 'string' && location.startsWith('file:'))) {
    try {
      return fileURLToPath(location);
    } catch (cause) {
      throw new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `defineLoader: ${field} is not a file: URL`,
        { cause },
      );
    }
  }
  if (typeof location !== 'string' || !isAbsolute(location))
    throw invalid(`${field} must be an absolute path or a file: URL`);
  return location;
}

/**
 * Declares a handler program (the blob) and how to run it. Validates the spec and returns a
 * frozen {@link Loader}; a driver package exports it as the default export of its loader
 * module, which the manager imports lazily on first use.
 *
 * @throws UmdError `UMD_INVALID_ARGUMENT` when the spec is malformed (both or neither of
 *   `script`/`executable`, a digest that is not 64 hex digits, a relative path, a Node flag
 *   that is not a debugging aid...).
 */
export function defineLoader(spec: LoaderSpec): Loader {
  return readingOptions('defineLoader', 'its spec', () => define(spec));
}

const SPEC_KEYS: Record<keyof LoaderSpec, true> = {
  name: true,
  mode: true,
  script: true,
  executable: true,
  sha256: true,
  args: true,
  nodeFlags: true,
  postStart: true,
};

function define(spec: LoaderSpec): Loader {
  if (typeof spec !== 'object' || spec === null) throw invalid('spec must be an object');
  checkKnownKeys(spec, SPEC_KEYS, '', 'defineLoader');
  const { name, mode, script, executable, sha256, args = [], nodeFlags = [], postStart } = spec;
  if (typeof name !== 'string' || !NAME.test(name))
    throw invalid(`name must match ${NAME} (got ${JSON.stringify(name)})`);
  if (mode !== 'framed' && mode !== 'raw')
    throw invalid(`mode must be 'framed' or 'raw' (got ${JSON.stringify(mode)})`);
  if ((script === undefined) === (executable === undefined))
    throw invalid('give exactly one of script or executable');
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256.toLowerCase()))
    throw invalid('sha256 must be 64 hex digits');
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string'))
    throw invalid('args must be an array of strings');
  if (postStart !== undefined && typeof postStart !== 'function')
    throw invalid('postStart must be a function');
  const kind = script !== undefined ? 'js' : 'native';
  const flagsProblem = nodeFlagsProblem(nodeFlags);
  if (flagsProblem !== undefined) throw invalid(flagsProblem);
  if (kind === 'native' && nodeFlags.length > 0)
    throw invalid('nodeFlags are for a script (a JS handler), not an executable');
  const blobPath = toPath(
    (script ?? executable) as string | URL,
    kind === 'js' ? 'script' : 'executable',
  );
  const loader: Loader = {
    name,
    mode,
    ...(script !== undefined ? { script } : { executable }),
    sha256: sha256.toLowerCase(),
    args: Object.freeze([...args]),
    nodeFlags: Object.freeze([...nodeFlags]),
    ...(postStart !== undefined ? { postStart } : {}),
    kind,
    blobPath,
  };
  Object.defineProperty(loader, BRAND, { value: true });
  return Object.freeze(loader);
}

/** True if `value` was made by {@link defineLoader} (in any copy of this package). */
export function isLoader(value: unknown): value is Loader {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[BRAND] === true
  );
}

/**
 * Accepts what a lazy loader import returns (the loader itself, or a module namespace whose
 * `default` is the loader) and returns the loader.
 *
 * @throws UmdError `UMD_LOADER` when no loader made by {@link defineLoader} is found.
 */
export function unwrapLoader(value: unknown, managerName: string): Loader {
  if (isLoader(value)) return value;
  const inner =
    typeof value === 'object' && value !== null
      ? (value as { default?: unknown }).default
      : undefined;
  if (isLoader(inner)) return inner;
  throw new UmdError(
    UmdErrorCode.LOADER,
    `${managerName}: the loader module does not export a loader made by defineLoader() (as its default export)`,
    {
      handlerName: managerName,
    },
  );
}
