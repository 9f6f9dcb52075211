import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UmdError, UmdErrorCode } from '@umd/core';
import { describeMachine, hostMachine, readExecutableKind } from './elf.js';

/**
 * Where the built preload library is: `dist/native/bpfilter_preload.so`, next to the
 * bundled modules (this file is bundled into `dist/`).
 */
export function preloadLibraryPath(): string {
  return fileURLToPath(new URL('./native/bpfilter_preload.so', import.meta.url));
}

/** The script that compiles the preload library on this machine (shipped in the package). */
function buildScript(): string {
  return fileURLToPath(new URL('../scripts/build-native.mjs', import.meta.url));
}

/**
 * The preload library's path, or a clear error if it is missing or was compiled for another
 * architecture than this machine's (the published tarball carries an x86-64 build).
 */
export function requirePreloadLibrary(path = preloadLibraryPath()): string {
  const rebuild = `compile it on this machine with \`node ${buildScript()}\` (needs a C compiler, cc)`;
  if (!existsSync(path)) {
    throw new UmdError(
      UmdErrorCode.START_FAILED,
      `bpfilter: the preload library ${path} is missing; ${rebuild}`,
    );
  }
  const library = readExecutableKind(path);
  const host = hostMachine();
  if (library.kind === 'elf' && host !== undefined && library.machine !== host) {
    throw new UmdError(
      UmdErrorCode.START_FAILED,
      `bpfilter: the preload library ${path} is built for ${describeMachine(library.machine, library.bits)}, not for this machine (${process.arch}); ${rebuild}`,
    );
  }
  return path;
}
