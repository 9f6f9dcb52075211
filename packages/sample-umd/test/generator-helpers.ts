/**
 * What the generator tests share: commands run in a clean environment (nothing pointing back
 * into the real workspace), temporary directories removed afterwards, the published layout of
 * a built package, and a check that no trace of the sample's name is left.
 */
import { execFileSync, type ExecFileSyncOptions, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TemporaryDirs } from '@umd/core/testing';
import { afterAll } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const repoRoot = join(packageDir, '..', '..');
const temporary = new TemporaryDirs();
afterAll(() => temporary.removeAll());

/** A temporary directory, removed after the file's tests. */
export function temporaryDir(prefix: string): string {
  return temporary.makeSync(prefix);
}

/** pnpm as the test was started with it (CI runs `npx pnpm@10`), else from PATH. */
export function pnpm(args: string[], cwd: string): string {
  const execpath = process.env.npm_execpath;
  const [command, prefix] =
    execpath !== undefined && /pnpm\.c?js$/.test(execpath)
      ? [process.execPath, [execpath]]
      : ['pnpm', []];
  return run(command, [...prefix, ...args], cwd);
}

/**
 * The tests that install, build and test a generated driver run synchronously, and vitest times
 * a synchronous test only once it has returned: its timeout would be a speed check that a slow
 * machine fails, not a guard. They have none (0); each command they run has this hang guard.
 */
export const UNTIMED = 0;

/** Past this, a command is taken to hang and is killed (a whole install takes a minute or two). */
const HANG_GUARD_MS = 20 * 60_000;

export function run(
  command: string,
  args: string[],
  cwd: string,
  options: ExecFileSyncOptions = {},
): string {
  // A clean environment of our own: no INIT_CWD or npm_* pointing back into the real workspace.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(npm_|INIT_CWD$|PNPM_|VITEST)/i.test(key)),
  );
  try {
    return execFileSync(command, args, {
      cwd,
      env: { ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
      stdio: 'pipe',
      timeout: HANG_GUARD_MS,
      killSignal: 'SIGKILL',
      ...options,
    }) as string;
  } catch (error) {
    const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: string };
    const how = code === 'ETIMEDOUT' ? `hung (killed after ${HANG_GUARD_MS} ms)` : 'failed';
    throw new Error(
      `${command} ${args.join(' ')} ${how} in ${cwd}:\n${stdout ?? ''}\n${stderr ?? ''}`,
    );
  }
}

/** Files of the generated package (not dependencies, not build output) that mention the sample. */
export function sampleLeftovers(dir: string): string {
  const grep = spawnSync(
    'grep',
    ['-rIil', 'sample', '--exclude-dir=node_modules', '--exclude-dir=dist', '.'],
    { cwd: dir, encoding: 'utf8' },
  );
  if (grep.status === 1) return ''; // grep's "nothing found"
  if (grep.status === 0) return grep.stdout;
  throw new Error(`grep failed: ${grep.stderr}`);
}

/** Copies a built package as it would be published: package.json and its `files`. */
export function copyPublished(name: string, into: string): void {
  const from = join(repoRoot, 'packages', name);
  const pkg = JSON.parse(readFileSync(join(from, 'package.json'), 'utf8')) as { files?: string[] };
  mkdirSync(join(into, name), { recursive: true });
  cpSync(join(from, 'package.json'), join(into, name, 'package.json'));
  for (const entry of pkg.files ?? [])
    cpSync(join(from, entry), join(into, name, entry), { recursive: true });
}
