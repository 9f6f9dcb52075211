/**
 * `save()` for tables holding extensions bpfilter has no text form for: the iptables text
 * they came from, printed by Debian's `iptables-legacy-save` itself through the preload
 * library against these very tables (a throwaway service around an in-process front end,
 * or the running `bpfilter serve` this instance is connected to).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';
import { createDefaultBackend } from '../service/default-backend.js';
import { preloadEnvironment } from '../service/exec.js';
import { serve } from '../service/server.js';
import type { BpfilterSockopt } from '../sockopt/index.js';

/** Where Debian's iptables-legacy-save is, if installed. */
export function iptablesSavePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return dirs
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => join(dir, 'iptables-legacy-save'))
    .find((path) => existsSync(path));
}

/** How to reach the tables: a service socket, or an in-process front end to serve briefly. */
export type SaveSource = { socketPath: string } | { sockopt: BpfilterSockopt };

/**
 * Runs `iptables-legacy-save [-c] -t TABLE` for each table, in order, against `source`.
 * @throws UmdError `UMD_INVALID_ARGUMENT` (with `why`) when iptables-legacy-save is not
 * installed; `UMD_HANDLER_ERROR` when it fails.
 */
export async function iptablesSave(
  source: SaveSource,
  tables: readonly string[],
  options: { counters?: boolean; why: string; signal?: AbortSignal },
): Promise<string> {
  const program = iptablesSavePath();
  if (!program)
    throw new UmdError(
      UmdErrorCode.INVALID_ARGUMENT,
      `${options.why}; iptables-legacy-save (Debian package iptables) would print it, but it is not installed`,
    );
  let dir: string | undefined;
  let service: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    let socketPath: string;
    if ('socketPath' in source) socketPath = source.socketPath;
    else {
      dir = mkdtempSync(join(tmpdir(), 'bpfilter-save-'));
      socketPath = join(dir, 'bpfilter.sock');
      service = await serve({
        socketPath,
        backend: createDefaultBackend({ sockopt: source.sockopt }),
      });
    }
    const env = preloadEnvironment(socketPath);
    let out = '';
    for (const table of tables) {
      const args = [...(options.counters ? ['-c'] : []), '-t', table];
      out += await run(program, args, env, options.signal);
    }
    return out;
  } finally {
    await service?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

function run(
  program: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal: AbortSignal | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { env, signal, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error)
          reject(
            new UmdError(
              UmdErrorCode.HANDLER_ERROR,
              `iptables-legacy-save ${args.join(' ')} failed: ${stderr.trim() || error.message}`,
              { cause: error },
            ),
          );
        else resolve(stdout);
      },
    );
  });
}
