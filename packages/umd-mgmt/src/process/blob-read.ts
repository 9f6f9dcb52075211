import { openRegularFile } from '@umd/core/untrusted';

/** Default of `maxBlobBytes`: far above any handler program, far below what would hurt the host. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** Why a blob cannot be read: the path is not a regular file, or it is too large. */
export class BlobShapeError extends Error {}

/**
 * Reads a blob without ever blocking the event loop or growing without bound: the path must
 * be a regular file (no FIFO, device, socket or directory, whatever a symlink points at; see
 * `openRegularFile`) of at most `maxBytes`, and is read asynchronously, no more than the size
 * it had when opened.
 *
 * @throws BlobShapeError for a file of the wrong kind or size; the fs error when it cannot be opened or read.
 */
export async function readBlob(path: string, maxBytes: number): Promise<Buffer> {
  const opened = await openRegularFile(path);
  if (opened.kind !== 'file')
    throw new BlobShapeError(`${path} is not a regular file (${opened.description})`);
  const { handle, size } = opened;
  try {
    if (size > maxBytes)
      throw new BlobShapeError(`${path} has ${size} bytes, more than maxBlobBytes (${maxBytes})`);
    const bytes = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, filled);
      if (bytesRead === 0) break; // it shrank while we read: the digest check will refuse it
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
