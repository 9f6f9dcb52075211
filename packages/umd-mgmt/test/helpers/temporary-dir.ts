import { TemporaryDirs } from '@umd/core/testing';
import { afterEach } from 'vitest';

const dirs = new TemporaryDirs();

/** A new directory under `parent` (the system's temporary directory), removed after the test. */
export function temporaryDir(prefix: string, parent?: string): Promise<string> {
  return dirs.make(prefix, parent);
}

// Registered by every test file that imports this module (fixtures.ts does, after its own hook
// that stops the test's handlers, so nothing still runs in a directory when it goes).
afterEach(() => dirs.removeAll());
