import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
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

  describe('refuses a command the dynamic loader would run without the preload', () => {
    // A program that leaves a mark if it runs: the refusal must come before it does.
    const hasStaticCc =
      spawnSync('cc', ['-static', '-x', 'c', '-o', '/dev/null', '-'], {
        input: 'int main(void){return 0;}',
      }).status === 0;
    function staticProgram(): { program: string; mark: string } {
      const mark = join(dir, 'ran');
      const program = join(dir, 'static-prog');
      execFileSync('cc', ['-static', '-x', 'c', '-o', program, '-'], {
        input: `#include <stdio.h>\nint main(void){FILE*f=fopen("${mark}","w");return f?0:1;}`,
      });
      return { program, mark };
    }
    async function refusal(command: string, env?: NodeJS.ProcessEnv): Promise<Error> {
      const error = await exec({
        command,
        env,
        socketPath: join(dir, 'unused.sock'),
        preloadLibrary: library,
        stdio: 'ignore',
      }).catch((e: unknown) => e);
      expect(isUmdError(error) && error.code).toBe('UMD_INVALID_ARGUMENT');
      return error as Error;
    }

    it.runIf(hasStaticCc && existsSync(library))(
      'a statically linked program, directly, through #! and through #!/usr/bin/env -S',
      async () => {
        const { program, mark } = staticProgram();
        expect((await refusal(program)).message).toContain('statically linked');
        const script = join(dir, 'script');
        writeFileSync(script, `#!${program}\n`, { mode: 0o755 });
        expect((await refusal(script)).message).toContain(`${program} is statically linked`);
        const viaEnv = join(dir, 'via-env');
        writeFileSync(viaEnv, '#!/usr/bin/env -S FOO=1 static-prog --flag\n', { mode: 0o755 });
        const env = { ...process.env, PATH: `${dir}:${process.env.PATH}` };
        expect((await refusal(viaEnv, env)).message).toContain(`${program} is statically linked`);
        expect(existsSync(mark)).toBe(false);
      },
    );

    it.runIf(existsSync(library))(
      'a program of another architecture than the library',
      async () => {
        const program = join(dir, 'aarch64-true');
        const bytes = readFileSync('/bin/true');
        bytes.writeUInt16LE(183, 18); // e_machine: AArch64
        writeFileSync(program, bytes, { mode: 0o755 });
        const { message } = await refusal(program);
        expect(message).toContain('AArch64 (64-bit) program');
        expect(message).toContain('x86-64 (64-bit)');
      },
    );

    it('a library built for another architecture than this machine, naming how to rebuild', async () => {
      const other = join(dir, 'other-arch.so');
      const bytes = readFileSync('/bin/true');
      bytes.writeUInt16LE(process.arch === 'arm64' ? 62 : 183, 18);
      writeFileSync(other, bytes);
      const error = await exec({ command: 'true', preloadLibrary: other }).catch((e) => e);
      expect(isUmdError(error) && error.code).toBe('UMD_START_FAILED');
      expect((error as Error).message).toMatch(/not for this machine .*build-native\.mjs/);
    });

    it.runIf(existsSync(library))(
      'a FIFO as the #! interpreter is not opened for a blocking read',
      async () => {
        const fifo = join(dir, 'fifo');
        execFileSync('mkfifo', [fifo]);
        const script = join(dir, 'script');
        writeFileSync(script, `#!${fifo}\n`, { mode: 0o755 });
        // exec(2) refuses a FIFO interpreter itself; the check must neither hang nor refuse.
        const outcome = await exec({
          command: script,
          socketPath: join(dir, 'unused.sock'),
          preloadLibrary: library,
          stdio: 'ignore',
        }).catch((e: unknown) => e);
        expect(isUmdError(outcome) && outcome.code).toBe('UMD_START_FAILED');
      },
    );
  });
});
