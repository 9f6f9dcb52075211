import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Default of `maxBlobBytes`: far above any handler program, far below what would hurt the host. */
export const DEFAULT_MAX_BLOB_BYTES = 256 * 1024 * 1024;

/** Why a blob cannot be read: the path is not a regular file, or it is too large. */
export class BlobShapeError extends Error {}

/**
 * Reads a blob without ever blocking the event loop or growing without bound: the path is
 * opened non-blocking (a FIFO's open would otherwise wait for a writer), must then be a
 * regular file (no FIFO, device, socket or directory, whatever a symlink points at) of at
 * most `maxBytes`, and is read asynchronously, no more than the size it had when opened.
 *
 * @throws BlobShapeError for a file of the wrong kind or size; the fs error when it cannot be opened or read.
 */
export async function readBlob(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new BlobShapeError(`${path} is not a regular file (${kindOf(stat)})`);
    if (stat.size > maxBytes)
      throw new BlobShapeError(
        `${path} has ${stat.size} bytes, more than maxBlobBytes (${maxBytes})`,
      );
    const bytes = Buffer.allocUnsafe(stat.size);
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

function kindOf(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}
