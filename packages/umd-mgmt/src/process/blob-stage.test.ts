import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { isUmdError } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../build/sha256-file.js';
import { defineLoader } from '../loader/define-loader.js';
import { stageBlob } from './blob-stage.js';
import { temporaryDir } from '../../test/helpers/temporary-dir.js';

async function blob(content: string) {
  const dir = await temporaryDir('umd-stage-test-');
  const file = join(dir, 'x.blob.mjs');
  await writeFile(file, content);
  return file;
}

describe('stageBlob', () => {
  it('copies a verified blob into a 0700 directory as a 0500 file and removes it', async () => {
    const file = await blob('export {};\n');
    const staged = await stageBlob(
      defineLoader({
        name: 'x',
        mode: 'framed',
        script: file,
        sha256: sha256Hex(Buffer.from('export {};\n')),
      }),
    );
    expect((await stat(staged.dir)).mode & 0o777).toBe(0o700);
    expect((await stat(staged.file)).mode & 0o777).toBe(0o500);
    expect(await readFile(staged.file, 'utf8')).toBe('export {};\n');
    await staged.remove();
    await staged.remove();
    await expect(stat(staged.dir)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a blob whose digest does not match, writing nothing', async () => {
    const file = await blob('export {};\n');
    const stagingDir = await temporaryDir('umd-stage-parent-');
    const loader = defineLoader({
      name: 'x',
      mode: 'framed',
      script: file,
      sha256: sha256Hex(Buffer.from('export {}\n')),
    });
    await expect(stageBlob(loader, { stagingDir })).rejects.toSatisfy((e) =>
      isUmdError(e, 'UMD_BLOB_INTEGRITY'),
    );
    expect(await readdir(stagingDir)).toEqual([]);
  });

  it('reports a missing blob as UMD_START_FAILED', async () => {
    const loader = defineLoader({
      name: 'x',
      mode: 'framed',
      script: '/nonexistent/x.mjs',
      sha256: 'a'.repeat(64),
    });
    await expect(stageBlob(loader)).rejects.toSatisfy((e) => isUmdError(e, 'UMD_START_FAILED'));
  });
});

describe('stageBlob: hostile blob paths fail at once with a typed error', () => {
  const loaderFor = (script: string, sha256 = 'a'.repeat(64)) =>
    defineLoader({ name: 'hostile', mode: 'framed', script, sha256 });

  // A refusal that blocked (an open of a FIFO waiting for a writer) would never settle: the
  // test's timeout is the bound, not a wall-clock figure a loaded machine can miss.
  async function refusal(script: string, maxBlobBytes?: number) {
    const error = await stageBlob(loaderFor(script), { maxBlobBytes }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    return { error };
  }

  it('a FIFO (nobody writes it): UMD_START_FAILED, the event loop never blocks', async () => {
    const dir = await temporaryDir('umd-fifo-');
    const fifo = join(dir, 'x.blob.mjs');
    execFileSync('mkfifo', [fifo]);
    const { error } = await refusal(fifo);
    expect(error?.code).toBe('UMD_START_FAILED');
    expect(error?.message).toMatch(/FIFO/);
  });

  it('a unix socket: UMD_START_FAILED that names it (was an untyped ENXIO)', async () => {
    const dir = await temporaryDir('umd-socket-');
    const socket = join(dir, 'x.blob.mjs');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const { error } = await refusal(socket);
      expect(error?.code).toBe('UMD_START_FAILED');
      expect(error?.message).toMatch(/is not a regular file \(a socket\)/);
    } finally {
      server.close();
    }
  });

  it('a symlink to /dev/zero: UMD_START_FAILED without reading it', async () => {
    const dir = await temporaryDir('umd-zero-');
    const link = join(dir, 'x.blob.mjs');
    await symlink('/dev/zero', link);
    const rss = process.memoryUsage.rss();
    const { error } = await refusal(link);
    expect(error?.code).toBe('UMD_START_FAILED');
    expect(error?.message).toMatch(/character device/);
    expect(process.memoryUsage.rss() - rss).toBeLessThan(64 * 1024 * 1024);
  });

  it('a directory: UMD_START_FAILED', async () => {
    const dir = await temporaryDir('umd-dir-');
    const { error } = await refusal(dir);
    expect(error?.code).toBe('UMD_START_FAILED');
    expect(error?.message).toMatch(/directory/);
  });

  it('a file over maxBlobBytes: UMD_START_FAILED; one at the limit is read', async () => {
    const file = await blob('x'.repeat(1000));
    const { error } = await refusal(file, 999);
    expect(error?.code).toBe('UMD_START_FAILED');
    expect(error?.message).toMatch(/maxBlobBytes/);
    const staged = await stageBlob(loaderFor(file, sha256Hex(Buffer.from('x'.repeat(1000)))), {
      maxBlobBytes: 1000,
    });
    expect((await readFile(staged.file, 'utf8')).length).toBe(1000);
    await staged.remove();
  });
});

describe('stageBlob: leftovers', () => {
  it("removes the private directories of a host that no longer exists, and keeps a live host's", async () => {
    const parent = await temporaryDir('umd-stale-');
    const dead = spawnSync('true').pid!;
    const stale = join(parent, `umd-left-${dead}-AbC123`);
    const live = join(parent, `umd-left-${process.ppid}-XyZ789`);
    const other = join(parent, `umd-leftover-${dead}-AbC123`);
    for (const d of [stale, live, other]) await mkdir(d);
    await writeFile(join(stale, 'x.blob.mjs'), 'export {};\n');
    const content = 'export {};\n';
    const file = await blob(content);
    const loader = defineLoader({
      name: 'left',
      mode: 'framed',
      script: file,
      sha256: sha256Hex(Buffer.from(content)),
    });
    const staged = await stageBlob(loader, { stagingDir: parent });
    expect(staged.dir).toContain(`umd-left-${process.pid}-`);
    const names = await readdir(parent);
    expect(names).not.toContain(`umd-left-${dead}-AbC123`);
    expect(names).toContain(`umd-left-${process.ppid}-XyZ789`);
    expect(names).toContain(`umd-leftover-${dead}-AbC123`);
    await staged.remove();
    expect(await readdir(parent)).not.toContain(basename(staged.dir));
  });
});
