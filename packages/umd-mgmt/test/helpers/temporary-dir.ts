import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

const made: string[] = [];

/** A new directory under `parent` (the system's temporary directory), removed after the test. */
export async function temporaryDir(prefix: string, parent = tmpdir()): Promise<string> {
  const dir = await mkdtemp(join(parent, prefix));
  made.push(dir);
  return dir;
}

// Registered by every test file that imports this module (fixtures.ts does, after its own hook
// that stops the test's handlers, so nothing still runs in a directory when it goes).
afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});
