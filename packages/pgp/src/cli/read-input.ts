/** The files the command line reads whole: keys, signatures, messages. */
import { open } from 'node:fs/promises';
import { MAX_INPUT } from '../contract.js';
import { PgpError } from '../errors.js';

/** Bytes asked for by one read. */
const CHUNK = 64 * 1024;

/**
 * The bytes of `file`, read whole but never more than {@link MAX_INPUT}, the most a call takes:
 * a larger file, or a device that never ends (`/dev/zero`), is `PGP_INVALID_ARGUMENT` once that
 * much was read, where `readFile` read on until the host ran out of memory. A pipe (a shell's
 * `<(...)`) is read as it comes, as `readFile` did.
 */
export async function readInput(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, null);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_INPUT)
        throw new PgpError('PGP_INVALID_ARGUMENT', `${file}: more than ${MAX_INPUT} bytes`);
    }
  } finally {
    await handle.close();
  }
}
