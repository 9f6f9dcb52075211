/** Helpers of the front-end tests: the built loader, waiting for a handler to die. */
import { type UmdManager, waitForExit } from '@umd/mgmt';

/** Imports the package's built loader (dist/loader.js), counting imports. */
export function countingLoader(): {
  loader: () => Promise<{ default: never }>;
  readonly imports: number;
} {
  let imports = 0;
  return {
    loader: async () => {
      imports++;
      return import(new URL('../dist/loader.js', import.meta.url).href) as Promise<{
        default: never;
      }>;
    },
    get imports() {
      return imports;
    },
  };
}

/** SIGKILLs the manager's handler and resolves once the manager has seen it exit. */
export async function killHandler(manager: UmdManager): Promise<number> {
  const pid = manager.pid;
  if (pid === undefined) throw new Error('no handler running');
  const exited = waitForExit(manager, pid);
  process.kill(pid, 'SIGKILL');
  await exited;
  return pid;
}

/** Is a process with this pid alive? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
