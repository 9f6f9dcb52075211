import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';

const ETXTBSY_RETRIES = 5;

/**
 * Spawns `file` and resolves once the process runs (Node's `spawn` event); rejects with the
 * spawn error. `ETXTBSY` is tried again a few times: another thread's fork may briefly hold a
 * just-written executable open for writing.
 */
export async function spawnRunning(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<ChildProcess> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await spawnOnce(file, args, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ETXTBSY' || attempt >= ETXTBSY_RETRIES)
        throw error;
      await delay(5 * (attempt + 1));
    }
  }
}

async function spawnOnce(
  file: string,
  args: readonly string[],
  options: SpawnOptions,
): Promise<ChildProcess> {
  // Node throws some spawn errors (ETXTBSY among them) instead of emitting 'error'.
  const child = spawn(file, args, options);
  // Rejects if 'error' comes first.
  await once(child, 'spawn');
  return child;
}
