/** Files the host reads itself (RPM packages, appraised files): opened so that nothing can make it wait. */
import { type OpenedRegularFile, openRegularFile } from '@umd/core/untrusted';
import { PgpError } from './errors.js';

/**
 * `openRegularFile` of `@umd/core/untrusted` with this package's errors: everything after
 * reads the handle, never the path again.
 *
 * @param followSymlinks false: a symlink is not a regular file (`O_NOFOLLOW`).
 * @returns undefined for anything but a regular file (FIFO, device, socket, directory).
 * @throws PgpError `PGP_INVALID_ARGUMENT` when it cannot be opened.
 */
export async function openInputFile(
  file: string,
  followSymlinks = true,
): Promise<OpenedRegularFile | undefined> {
  const opened = await openRegularFile(file, { followSymlinks }).catch((error: Error) => {
    throw new PgpError('PGP_INVALID_ARGUMENT', `cannot open ${file}: ${error.message}`, {
      cause: error,
    });
  });
  return opened.kind === 'file' ? opened : undefined;
}
