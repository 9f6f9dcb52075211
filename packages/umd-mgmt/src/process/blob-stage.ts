import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';
import { sha256Hex } from '../build/sha256-file.js';
import type { Loader } from '../loader/loader-types.js';

/** A verified private copy of a blob, ready to run. */
export interface StagedBlob {
  /** Path of the copy (mode 0500). */
  readonly file: string;
  /** Its private directory (mode 0700). */
  readonly dir: string;
  /** Removes the copy and its directory; idempotent, never throws. */
  remove(): Promise<void>;
}

/** Where and for whom to stage a blob. */
export interface StageOptions {
  /** Parent of the private directory. Default `os.tmpdir()` (it must allow exec for native handlers). */
  stagingDir?: string;
  /** Owner of the copy when the handler runs under another uid/gid (root hosts only). */
  uid?: number;
  gid?: number;
}

/**
 * Reads the blob, checks its SHA-256 against the loader's digest, and writes THE BYTES IT
 * CHECKED (not a second read of the source, which could have changed) into a fresh private
 * directory.
 *
 * @throws UmdError `UMD_BLOB_INTEGRITY` on a digest mismatch (nothing is written),
 *   `UMD_START_FAILED` when the blob cannot be read or staged.
 */
export async function stageBlob(loader: Loader, options: StageOptions = {}): Promise<StagedBlob> {
  // The private directory is made while the blob is read and hashed (a start is latency-critical).
  const making = mkdtemp(join(options.stagingDir ?? tmpdir(), `umd-${loader.name}-`)); // mkdtemp creates it 0700
  const discard = () =>
    making.then(
      (made) => rm(made, { recursive: true, force: true }),
      () => undefined,
    );
  let bytes: Buffer;
  try {
    bytes = await readFile(loader.blobPath);
  } catch (cause) {
    await discard();
    throw new UmdError(UmdErrorCode.START_FAILED, `${loader.name}: cannot read blob ${loader.blobPath}: ${(cause as Error).message}`, {
      cause,
      handlerName: loader.name,
    });
  }
  const actual = sha256Hex(bytes);
  if (actual !== loader.sha256) {
    await discard();
    throw new UmdError(
      UmdErrorCode.BLOB_INTEGRITY,
      `${loader.name}: blob ${loader.blobPath} has SHA-256 ${actual}, expected ${loader.sha256}; refusing to run it`,
      { handlerName: loader.name },
    );
  }
  let dir: string | undefined;
  try {
    dir = await making;
    const file = join(dir, basename(loader.blobPath));
    await writeFile(file, bytes, { mode: 0o500, flag: 'wx' });
    if (options.uid !== undefined || options.gid !== undefined) {
      const uid = options.uid ?? -1;
      const gid = options.gid ?? -1;
      await chown(dir, uid, gid);
      await chown(file, uid, gid);
    }
    const staged = dir;
    let removal: Promise<void> | undefined;
    return {
      file,
      dir,
      remove: () => (removal ??= rm(staged, { recursive: true, force: true }).catch(() => undefined)),
    };
  } catch (cause) {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw new UmdError(UmdErrorCode.START_FAILED, `${loader.name}: cannot stage blob: ${(cause as Error).message}`, { cause, handlerName: loader.name });
  }
}
