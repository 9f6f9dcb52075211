import { chmodSync, copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isUmdError } from '@umd/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exec, preloadEnvironment } from './exec.js';
import { serve } from './server.js';

const library = fileURLToPath(new URL('../../dist/native/bpfilter_preload.so', import.meta.url));

describe('exec()', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfilter-exec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prepends the library to LD_PRELOAD and points BPFILTER_SOCKET at the service', () => {
    const env = preloadEnvironment(
      '/run/x.sock',
      { LD_PRELOAD: '/other.so', KEEP: '1' },
      '/lib/bp.so',
    );
    expect(env).toEqual({
      LD_PRELOAD: '/lib/bp.so /other.so',
      BPFILTER_SOCKET: '/run/x.sock',
      KEEP: '1',
    });
  });

  it('fails clearly when the library was not built', async () => {
    const error = await exec({ command: 'true', preloadLibrary: join(dir, 'missing.so') }).catch(
      (e: unknown) => e,
    );
    expect(isUmdError(error) && error.code).toBe('UMD_START_FAILED');
    expect((error as Error).message).toContain('cc');
  });

  it.runIf(existsSync(library))(
    'without a socket, runs the command against a fresh service that ends with it',
    async () => {
      const out = join(dir, 'out');
      const result = await exec({
        command: 'sh',
        args: [
          '-c',
          `echo "$LD_PRELOAD|$BPFILTER_SOCKET" > ${out}; test -S "$BPFILTER_SOCKET"; exit 7`,
        ],
        preloadLibrary: library,
      });
      expect(result).toEqual({ exitCode: 7, signal: null });
      const [preload, socket] = readFileSync(out, 'utf8').trim().split('|');
      expect(preload).toBe(library);
      expect(socket).toMatch(/bpfilter\.sock$/);
      expect(existsSync(socket!)).toBe(false); // the service and its socket are gone
    },
  );

  it.runIf(existsSync(library))(
    'with a socket, uses that service and leaves it running',
    async () => {
      const service = await serve({
        socketPath: join(dir, 's'),
        backend: { request: async () => ({ status: 0 }) },
      });
      try {
        const result = await exec({
          command: 'sh',
          args: ['-c', 'test "$BPFILTER_SOCKET" = "$0"', service.socketPath],
          socketPath: service.socketPath,
          preloadLibrary: library,
        });
        expect(result.exitCode).toBe(0);
        expect(existsSync(service.socketPath)).toBe(true);
      } finally {
        await service.close();
      }
    },
  );

  it('refuses a set-user-ID program, which the dynamic loader would run without the preload', async () => {
    const program = join(dir, 'setuid-true');
    copyFileSync('/bin/true', program);
    chmodSync(program, 0o4755);
    const error = await exec({
      command: program,
      socketPath: join(dir, 'unused.sock'),
      preloadLibrary: process.execPath,
    }).catch((e: unknown) => e);
    expect(isUmdError(error) && error.code).toBe('UMD_INVALID_ARGUMENT');
    expect((error as Error).message).toContain('set-user-ID');
  });

  it('reports a command that cannot be spawned', async () => {
    const service = await serve({
      socketPath: join(dir, 's'),
      backend: { request: async () => ({ status: 0 }) },
    });
    try {
      const error = await exec({
        command: join(dir, 'no-such-program'),
        socketPath: service.socketPath,
        preloadLibrary: process.execPath,
      }).catch((e: unknown) => e);
      expect(isUmdError(error) && error.code).toBe('UMD_START_FAILED');
    } finally {
      await service.close();
    }
  });
});
