import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A C test program built into a directory of its own, which the test may use for its sockets too. */
export interface CFixture {
  /** The temporary directory holding the program. */
  readonly dir: string;
  /** The compiled program's path. */
  readonly program: string;
  /** Deletes the directory and everything in it. */
  remove(): void;
}

/** Compiles `source` with `cc -O1` and `flags` into a fresh temporary directory as `name`. */
export function compileFixture(name: string, source: URL, flags: string[] = []): CFixture {
  const dir = mkdtempSync(join(tmpdir(), `bpfilter-${name}-`));
  const program = join(dir, name);
  execFileSync('cc', ['-O1', ...flags, '-o', program, fileURLToPath(source)]);
  return { dir, program, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
