import { chmodSync, chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';
import { sha256Hex } from '../build/sha256-file.js';
import type { Loader } from '../loader/loader-types.js';
import { DEFAULT_MAX_BLOB_BYTES, readBlob } from './blob-read.js';
import { startFailed } from './start-failed.js';
import { cleanStaleStagingDirs, stagingPrefix } from './stale-staging.js';
import { trackStagedDir, untrackStagedDir } from './host-exit-cleanup.js';

/** A verified private copy of a blob, ready to run. */
export interface StagedBlob {
  /** Path of the copy (mode 0500, or 0550 for the handler's group). */
  readonly file: string;
  /** Its private directory (mode 0700, or 0710 for the handler's group). */
  readonly dir: string;
  /** Removes the copy and its directory; idempotent, never throws. */
  remove(): Promise<void>;
}

/** Where and for whom to stage a blob. */
export interface StageOptions {
  /** Parent of the private directory. Default `os.tmpdir()` (it must allow exec for native handlers). */
  stagingDir?: string;
  /**
   * Group of the handler when it runs under another uid than the host: the copy and its
   * directory stay owned by the host and get this group, which may read and execute but never
   * write, rename or replace them.
   */
  handlerGid?: number;
  /** Largest blob accepted (256 MiB). */
  maxBlobBytes?: number;
}

// Blobs up to this size are written with synchronous calls: well under a millisecond of
// blocking, against several thread-pool round trips on a busy machine, and a start is
// latency-critical. Reads are always asynchronous: the source is not ours to trust.
const SYNC_WRITE_LIMIT = 8 * 1024 * 1024;

interface StagingIo {
  mkdtemp(prefix: string): string | Promise<string>;
  writeFile(path: string, data: Uint8Array, mode: number): void | Promise<void>;
  chown(path: string, uid: number, gid: number): void | Promise<void>;
  chmod(path: string, mode: number): void | Promise<void>;
}

const syncIo: StagingIo = {
  mkdtemp: (prefix) => mkdtempSync(prefix),
  writeFile: (path, data, mode) => writeFileSync(path, data, { mode, flag: 'wx' }),
  chown: (path, uid, gid) => chownSync(path, uid, gid),
  chmod: (path, mode) => chmodSync(path, mode),
};

const asyncIo: StagingIo = {
  mkdtemp: (prefix) => mkdtemp(prefix),
  writeFile: (path, data, mode) => writeFile(path, data, { mode, flag: 'wx' }),
  chown: (path, uid, gid) => chown(path, uid, gid),
  chmod: (path, mode) => chmod(path, mode),
};

/**
 * Reads the blob (a regular file of bounded size, see `readBlob`), checks its SHA-256 against
 * the loader's digest, and writes THE BYTES IT CHECKED (not a second read of the source, which
 * could have changed) into a fresh private directory owned by the host. The directory's name
 * carries the host's pid, so a later host can remove what a SIGKILLed one left behind; until
 * it is removed, the host's exit hook removes it on any exit it can see.
 *
 * @throws UmdError `UMD_BLOB_INTEGRITY` on a digest mismatch (nothing is written),
 *   `UMD_START_FAILED` when the blob cannot be read (FIFO, device, directory, too large) or staged.
 */
export async function stageBlob(loader: Loader, options: StageOptions = {}): Promise<StagedBlob> {
  const parent = options.stagingDir ?? tmpdir();
  await cleanStaleStagingDirs(parent, loader.name);
  let bytes: Buffer;
  try {
    bytes = await readBlob(loader.blobPath, options.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES);
  } catch (cause) {
    throw startFailed(loader, `cannot read blob ${loader.blobPath}`, cause);
  }
  const actual = sha256Hex(bytes);
  if (actual !== loader.sha256) {
    throw new UmdError(
      UmdErrorCode.BLOB_INTEGRITY,
      `${loader.name}: blob ${loader.blobPath} has SHA-256 ${actual}, expected ${loader.sha256}; refusing to run it`,
      { handlerName: loader.name },
    );
  }
  const io = bytes.length <= SYNC_WRITE_LIMIT ? syncIo : asyncIo;
  const gid = options.handlerGid;
  let dir: string | undefined;
  try {
    dir = await io.mkdtemp(join(parent, stagingPrefix(loader.name))); // created 0700
    trackStagedDir(dir);
    const file = join(dir, basename(loader.blobPath));
    // Another uid gets read and exec through its group, never write: it cannot swap the
    // checked copy between this write and the exec (the directory is not writable by it and
    // the parent is expected to be sticky, like /tmp).
    await io.writeFile(file, bytes, gid === undefined ? 0o500 : 0o550);
    if (gid !== undefined) {
      await io.chown(file, -1, gid);
      await io.chown(dir, -1, gid);
      await io.chmod(file, 0o550); // chown may clear bits; set the mode last
      await io.chmod(dir, 0o710);
    }
    const staged = dir;
    let removal: Promise<void> | undefined;
    return {
      file,
      dir,
      remove: () =>
        (removal ??= rm(staged, { recursive: true, force: true })
          .catch(() => undefined)
          .then(() => untrackStagedDir(staged))),
    };
  } catch (cause) {
    if (dir !== undefined) {
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      untrackStagedDir(dir);
    }
    throw startFailed(loader, 'cannot stage blob', cause);
  }
}
