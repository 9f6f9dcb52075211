import { UmdError, UmdErrorCode } from '@umd/core';
import type { Loader } from '../loader/loader-types.js';

/** `UMD_START_FAILED` for `loader`'s handler: "name: what: the cause's message". */
export function startFailed(loader: Loader, what: string | undefined, cause: unknown): UmdError {
  const message =
    what === undefined ? (cause as Error).message : `${what}: ${(cause as Error).message}`;
  return new UmdError(UmdErrorCode.START_FAILED, `${loader.name}: ${message}`, {
    cause,
    handlerName: loader.name,
  });
}
