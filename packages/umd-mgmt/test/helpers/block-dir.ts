/** The scratch directory of the echo fixture's `block:<dir>` command, and its handshake. */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A fresh directory for `block:` (open to all: a root host's handler runs as nobody). */
export async function blockDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'umd-block-'));
  await chmod(dir, 0o777);
  return dir;
}

/** Resolves once the handler wrote `<dir>/blocked`: its event loop is blocked from then on. */
export async function untilBlocked(dir: string): Promise<void> {
  while (!existsSync(join(dir, 'blocked'))) await sleep(5);
}
