/**
 * A file in memory that a helper in `--serve` mode reads a large request from (its fd 3,
 * native/helper_serve.h), written by the service in one system call. Through the helper's
 * stdin, a transaction of a 5,000-rule table (about 905 KB) crossed in turns of the socket's
 * 212,992-byte send buffer, each turn waiting for the service's event loop to write the next
 * part while the helper waited. The file is created in /dev/shm (memory), readable by its
 * owner only, and unlinked at once: nothing but the service and its helper holds it.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The header's length word that says "the request is in the shared file" (SHARED_REQUEST). */
export const SHARED_REQUEST = 0xffff_ffff;

/** Requests smaller than this go through stdin: one write there is as cheap. */
export const SHARED_MIN_BYTES = 64 * 1024;

/** Where the files are made (a tmpfs on Linux). */
const SHM_DIR = '/dev/shm';

/** Opens a new unlinked shared file; undefined where /dev/shm cannot hold one. */
export function openSharedFile(dir = SHM_DIR): number | undefined {
  const path = join(dir, `bpfilter-request-${process.pid}-${randomUUID()}`);
  let fd: number;
  try {
    // O_EXCL: a file (or link) someone placed under that name is not used.
    fd = openSync(path, 'wx+', 0o600);
  } catch {
    return undefined;
  }
  try {
    unlinkSync(path);
  } catch {
    closeSync(fd);
    return undefined;
  }
  return fd;
}

/**
 * Writes `request` at the start of the shared file `fd`; false if it could not (a full
 * /dev/shm): the request then goes through stdin.
 */
export function writeShared(fd: number, request: Uint8Array): boolean {
  try {
    for (let done = 0; done < request.length; )
      done += writeSync(fd, request, done, request.length - done, done);
    return true;
  } catch {
    return false;
  }
}

/** The 8-byte header of a request written to the shared file. */
export function sharedHeader(length: number): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(SHARED_REQUEST, 0);
  header.writeUInt32LE(length, 4);
  return header;
}
