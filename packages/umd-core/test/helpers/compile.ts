import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Compiles one C file with `cc` into a fresh temporary directory; returns the executable and a cleanup. */
export async function compileC(
  source: string,
  name: string,
): Promise<{ executable: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'umd-core-c-'));
  const executable = join(dir, name);
  await run('cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', executable, source]);
  return { executable, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
