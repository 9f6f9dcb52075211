import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Start of a private directory's name: the handler's name and the host's pid. */
export function stagingPrefix(name: string): string {
  return `umd-${name}-${process.pid}-`;
}

/** Whether process `pid` exists (EPERM: it does, under another uid). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const cleaned = new Map<string, Promise<void>>();

/**
 * Removes the private directories of handler `name` that a host which no longer exists (a
 * SIGKILLed one: no exit hook ran) left in `parent`. Once per parent and name per host process;
 * a directory whose host pid is alive, or was reused by another process, is left alone.
 */
export function cleanStaleStagingDirs(parent: string, name: string): Promise<void> {
  const key = `${parent}\0${name}`;
  let done = cleaned.get(key);
  if (done === undefined) {
    done = removeStale(parent, name);
    cleaned.set(key, done);
  }
  return done;
}

async function removeStale(parent: string, name: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(parent);
  } catch {
    return;
  }
  const prefix = `umd-${name}-`;
  const removals: Promise<void>[] = [];
  for (const entry of entries) {
    if (!entry.startsWith(prefix)) continue;
    const match = /^(\d+)-[A-Za-z0-9]{6}$/.exec(entry.slice(prefix.length));
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || exists(pid)) continue;
    removals.push(rm(join(parent, entry), { recursive: true, force: true }).catch(() => undefined));
  }
  await Promise.all(removals);
}
