import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TemporaryDirs } from '../testing/temporary-dirs.js';
import { openRegularFile } from '../untrusted.js';

const dirs = new TemporaryDirs();
afterEach(() => dirs.removeAll());

describe('openRegularFile', () => {
  it('opens a regular file and tells its size; the handle reads it', async () => {
    const file = join(await dirs.make('umd-rf-'), 'a');
    writeFileSync(file, 'hello');
    const opened = await openRegularFile(file);
    expect(opened.kind).toBe('file');
    if (opened.kind !== 'file') return;
    try {
      expect(opened.size).toBe(5);
      expect((await opened.handle.readFile()).toString()).toBe('hello');
    } finally {
      await opened.handle.close();
    }
  });

  it('refuses a FIFO nobody writes at once, a directory, a device and a socket', async () => {
    const dir = await dirs.make('umd-rf-');
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const socket = join(dir, 'socket');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      const kinds = [];
      for (const path of [fifo, dir, '/dev/null', socket])
        kinds.push(await openRegularFile(path, { signal: AbortSignal.timeout(5000) }));
      expect(kinds).toEqual([
        { kind: 'fifo', description: 'a FIFO' },
        { kind: 'directory', description: 'a directory' },
        { kind: 'character-device', description: 'a character device' },
        { kind: 'socket', description: 'a socket' },
      ]);
    } finally {
      server.close();
    }
  });

  it('follows a symlink by default; followSymlinks: false refuses it', async () => {
    const dir = await dirs.make('umd-rf-');
    const file = join(dir, 'a');
    writeFileSync(file, 'x');
    symlinkSync(file, join(dir, 'link'));
    const followed = await openRegularFile(join(dir, 'link'));
    expect(followed.kind).toBe('file');
    if (followed.kind === 'file') await followed.handle.close();
    expect(await openRegularFile(join(dir, 'link'), { followSymlinks: false })).toEqual({
      kind: 'symlink',
      description: 'a symlink',
    });
  });

  it('throws the fs error of a path it cannot open, and the reason of an aborted signal', async () => {
    const dir = await dirs.make('umd-rf-');
    await expect(openRegularFile(join(dir, 'none'))).rejects.toMatchObject({ code: 'ENOENT' });
    const reason = new Error('stop');
    await expect(
      openRegularFile(join(dir, 'none'), { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
  });
});
