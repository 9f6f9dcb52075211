/** Files the host reads itself (RPM packages, appraised files): opened so that nothing can make it wait. */
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { PgpError } from './errors.js';

/** An open regular file and its size when opened. */
export interface RegularFile {
  handle: FileHandle;
  size: number;
}

/**
 * Opens `file` for reading without blocking (the open of a FIFO would otherwise wait for a
 * writer, holding one of libuv's few threads for good) and keeps it only if it is a regular
 * file; everything after reads this handle, never the path again.
 *
 * @param followSymlinks false: a symlink is not a regular file (`O_NOFOLLOW`).
 * @returns undefined for anything but a regular file (FIFO, device, socket, directory).
 * @throws PgpError `PGP_INVALID_ARGUMENT` when it cannot be opened.
 */
export async function openRegularFile(
  file: string,
  followSymlinks = true,
): Promise<RegularFile | undefined> {
  const flags =
    constants.O_RDONLY |
    constants.O_NONBLOCK |
    constants.O_NOCTTY |
    (followSymlinks ? 0 : constants.O_NOFOLLOW);
  let handle: FileHandle;
  try {
    handle = await open(file, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' && !followSymlinks) return undefined; // O_NOFOLLOW met a symlink
    if (code === 'ENXIO') return undefined; // a socket
    throw new PgpError('PGP_INVALID_ARGUMENT', `cannot open ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const stat = await handle.stat().catch(async (error: Error) => {
    await handle.close();
    throw new PgpError('PGP_INVALID_ARGUMENT', `cannot read ${file}: ${error.message}`, {
      cause: error,
    });
  });
  if (stat.isFile()) return { handle, size: stat.size };
  await handle.close();
  return undefined;
}
