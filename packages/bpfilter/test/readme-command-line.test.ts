/**
 * The README's "Command line" block runs as a user runs it from an install: in a project
 * whose node_modules holds @umd/bpfilter (as `npm install` lays it out, `.bin/bpfilter`
 * included), with a PATH that has no node_modules/.bin of this workspace, so a bare
 * `bpfilter` is "not found" there. npx may not fetch anything (`npm_config_yes=false`): the
 * command must be the installed one. What the block shows as output (`# ` lines) is printed.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { readerPath, readmeBlocks } from './readme-blocks.js';

const PACKAGE = fileURLToPath(new URL('..', import.meta.url));

/** A project with @umd/bpfilter installed: the package and its command linked in. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-readme-'));
  mkdirSync(join(dir, 'node_modules', '@umd'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', '.bin'));
  symlinkSync(PACKAGE, join(dir, 'node_modules', '@umd', 'bpfilter'));
  symlinkSync('../@umd/bpfilter/bin/bpfilter.js', join(dir, 'node_modules', '.bin', 'bpfilter'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true }\n');
  return dir;
}

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('README "Command line"', () => {
  it('runs as written from an install, and prints what it shows', { timeout: 60_000 }, async () => {
    const [block, ...others] = readmeBlocks('Command line').filter((b) => b.lang === 'sh');
    expect(others).toEqual([]);
    // The install itself is the project above.
    const script = block!.lines.filter((line) => !/^npm install\b/.test(line));
    const shown = script.filter((line) => line.startsWith('# ')).map((line) => line.slice(2));
    expect(shown.length).toBeGreaterThan(0);
    dir = project();
    const cwd = dir;
    const env = { ...process.env, PATH: readerPath(), npm_config_yes: 'false' };
    const printed = await new Promise<string>((resolve, reject) => {
      execFile('sh', ['-ec', script.join('\n')], { cwd, env }, (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      );
    });
    expect(printed).toContain(`\n${shown.join('\n')}\n`);
  });
});
