import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UmdError, UmdErrorCode } from '@umd/core';

/**
 * Where the built preload library is: `dist/native/bpfilter_preload.so`, next to the
 * bundled modules (this file is bundled into `dist/`).
 */
export function preloadLibraryPath(): string {
  return fileURLToPath(new URL('./native/bpfilter_preload.so', import.meta.url));
}

/** The preload library's path, or a clear error if the build could not compile it. */
export function requirePreloadLibrary(path = preloadLibraryPath()): string {
  if (!existsSync(path)) {
    throw new UmdError(
      UmdErrorCode.START_FAILED,
      `bpfilter: the preload library ${path} is missing; it is compiled by the package build (scripts/build-native.mjs), which needs a C compiler (cc)`,
    );
  }
  return path;
}
