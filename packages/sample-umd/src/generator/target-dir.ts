/**
 * The new driver's directory: refused at once where it cannot be made or written (Node 20's
 * recursive `mkdir` loops forever under `/proc`), and made one level at a time.
 */
import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UmdError } from '@umd/core';

// Kernel interfaces where a directory looks writable to root but holds no new directory.
const KERNEL_FILESYSTEMS = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
]);

/** The nearest existing directory at or above `dir`, and those below it down to `dir`, top first. */
function ancestry(dir: string): { existing: string; missing: string[] } {
  const missing: string[] = [];
  let at = dir;
  for (; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at);
  return { existing: at, missing };
}

/**
 * Why `dir` cannot become the new driver's directory, checked before anything is written: the
 * nearest existing directory at or above it must be a directory, writable and searchable, on a
 * filesystem that holds files.
 * @returns undefined when it can; else the reason, for `refuse` to make the error.
 */
export function unusableTarget(dir: string): string | undefined {
  const at = ancestry(dir).existing;
  if (!statSync(at).isDirectory()) return `${at} exists and is not a directory`;
  const kernel = KERNEL_FILESYSTEMS.get(Number(statfsSync(at).type));
  if (kernel !== undefined)
    return `${at} is on ${kernel}, a kernel interface that cannot hold a new directory`;
  try {
    accessSync(at, constants.W_OK | constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${at} cannot hold a new directory (${code === 'EROFS' ? 'a read-only filesystem' : code})`;
  }
  return undefined;
}

/**
 * Makes `dir` and the directories above it that are missing, one `mkdir` each (never the
 * recursive one, which can loop), failing with `refuse(reason)` on the first that cannot be made.
 */
export async function makeTargetDir(dir: string, refuse: (why: string) => UmdError): Promise<void> {
  for (const at of ancestry(dir).missing) {
    await mkdir(at).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw refuse(`cannot make ${at} (${error.code})`);
    });
  }
}
