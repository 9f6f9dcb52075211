import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/umd-blob.js', import.meta.url));

function umdBlob(args: string[], cwd?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
    );
  });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'umd-blob-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('umd-blob command line', () => {
  it('answers --help and --version on stdout with status 0', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(await umdBlob(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    expect(await umdBlob(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^usage:\n {2}umd-blob <entry>/),
      stderr: '',
    });
  });

  it.each([
    [[], 'expected exactly one entry file'],
    [['h.js', '--name', 'h'], '--name and --out-dir are required'],
    [['h.js', '--name', 'h', '--out-dir', 'o', '--format', 'umd'], '--format'],
    [['h.js', '--nmae', 'h'], 'unknown option --nmae'],
    [['--digest'], '--digest needs a value'],
  ])('refuses %j with status 2 on stderr, naming the fault', async (args, fault) => {
    const { code, stdout, stderr } = await umdBlob(args);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.split('\n')[0]).toMatch(/^umd-blob: /);
    expect(stderr.split('\n')[0]).toContain(fault);
    expect(stderr).toContain('usage:');
  });

  it('prints the digest of a file, and fails with status 1 naming a missing one', async () => {
    const file = join(dir, 'native-blob');
    await writeFile(file, 'abc');
    expect(await umdBlob(['--digest', file])).toEqual({
      code: 0,
      stdout: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n',
      stderr: '',
    });
    const missing = await umdBlob(['--digest', join(dir, 'nope')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^umd-blob: .*ENOENT/);
  });
});
