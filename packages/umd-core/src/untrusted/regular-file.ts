import { constants, type Stats } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** What a path turned out to be when it is not a regular file. */
export type NotRegularFileKind =
  | 'directory'
  | 'fifo'
  | 'character-device'
  | 'block-device'
  | 'socket'
  | 'symlink'
  | 'other';

/** A regular file, open for reading, and its size when opened. */
export interface OpenedRegularFile {
  readonly kind: 'file';
  /** Read this handle, never the path again: the path may be replaced after the open. */
  readonly handle: FileHandle;
  readonly size: number;
}

/** The refusal of a path that is not a regular file; nothing is left open. */
export interface NotRegularFile {
  readonly kind: NotRegularFileKind;
  /** The kind for a message: `a FIFO`, `a directory`, ... */
  readonly description: string;
}

/** Options of {@link openRegularFile}. */
export interface OpenRegularFileOptions {
  /** false: a symlink is refused as `symlink` (`O_NOFOLLOW`). Default true. */
  followSymlinks?: boolean;
  /** Checked before the open and after the `fstat`; an aborted open closes the handle and throws the reason. */
  signal?: AbortSignal;
}

const DESCRIPTIONS: Record<NotRegularFileKind, string> = {
  directory: 'a directory',
  fifo: 'a FIFO',
  'character-device': 'a character device',
  'block-device': 'a block device',
  socket: 'a socket',
  symlink: 'a symlink',
  other: 'not a file',
};

const refusal = (kind: NotRegularFileKind): NotRegularFile => ({
  kind,
  description: DESCRIPTIONS[kind],
});

/**
 * Opens `path` for reading without blocking and keeps it only if it is a regular file. The
 * open is non-blocking because the open of a FIFO would otherwise wait for a writer, holding
 * one of libuv's few threads for good; the kind is then read from the open handle (`fstat`),
 * so a path swapped after the check cannot slip through.
 *
 * @returns the open file (the caller closes `handle`), or a {@link NotRegularFile} refusal for
 *   a FIFO, device, socket, directory or (with `followSymlinks: false`) symlink.
 * @throws the `fs` error when the path cannot be opened or stat'ed (ENOENT, EACCES, ...), or
 *   `signal.reason` when `signal` is aborted.
 */
export async function openRegularFile(
  path: string,
  options: OpenRegularFileOptions = {},
): Promise<OpenedRegularFile | NotRegularFile> {
  const followSymlinks = options.followSymlinks ?? true;
  options.signal?.throwIfAborted();
  const flags =
    constants.O_RDONLY |
    constants.O_NONBLOCK |
    constants.O_NOCTTY |
    (followSymlinks ? 0 : constants.O_NOFOLLOW);
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' && !followSymlinks) return refusal('symlink');
    if (code === 'ENXIO') return refusal('socket'); // open(2) of a unix socket
    throw error;
  }
  let stat: Stats;
  try {
    stat = await handle.stat();
    options.signal?.throwIfAborted();
  } catch (error) {
    await handle.close();
    throw error;
  }
  if (stat.isFile()) return { kind: 'file', handle, size: stat.size };
  await handle.close();
  return refusal(kindOf(stat));
}

function kindOf(stat: Stats): NotRegularFileKind {
  if (stat.isDirectory()) return 'directory';
  if (stat.isFIFO()) return 'fifo';
  if (stat.isCharacterDevice()) return 'character-device';
  if (stat.isBlockDevice()) return 'block-device';
  if (stat.isSocket()) return 'socket';
  return 'other';
}
