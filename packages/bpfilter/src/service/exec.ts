/**
 * `bpfilter exec -- COMMAND...`: runs a program with the preload library, so that its
 * iptables socket options go to a bpfilter service instead of the kernel: the one at
 * `socketPath`, or a fresh in-process service that lives as long as the command.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UmdError, UmdErrorCode } from '@umd/core';
import { refuseCommandWithoutPreload } from './preload-guard.js';
import { requirePreloadLibrary } from './preload-path.js';
import { BPFILTER_SOCKET_ENV } from './protocol.js';
import { serve, type ServeOptions } from './server.js';

/** Options of {@link exec}. */
export interface ExecOptions {
  /** The program to run (looked up in PATH). */
  command: string;
  /** Its arguments. */
  args?: readonly string[];
  /** A running service's socket. Default: start one for the duration of the command. */
  socketPath?: string;
  /** Environment of the command (default: this process's); the preload variables are added. */
  env?: NodeJS.ProcessEnv;
  /** stdio of the command (default: inherit). */
  stdio?: StdioOptions;
  /** The preload library to use (default: the one this package built). */
  preloadLibrary?: string;
  /** Options of the in-process service when `socketPath` is not given. */
  serve?: Omit<ServeOptions, 'socketPath' | 'signal'>;
  /**
   * Aborting it sends the command SIGTERM, or the signal its reason names
   * (`controller.abort('SIGHUP')`): how `bpfilter exec` passes on a signal it receives.
   */
  signal?: AbortSignal;
}

/** How the command ended. */
export interface ExecResult {
  /** Its exit code, or null if a signal ended it. */
  exitCode: number | null;
  /** The signal that ended it, if any. */
  signal: NodeJS.Signals | null;
}

/** The environment that points a program at a service: LD_PRELOAD (prepended) and BPFILTER_SOCKET. */
export function preloadEnvironment(
  socketPath: string,
  env: NodeJS.ProcessEnv = process.env,
  library = requirePreloadLibrary(),
): NodeJS.ProcessEnv {
  const preload = env.LD_PRELOAD ? `${library} ${env.LD_PRELOAD}` : library;
  return { ...env, LD_PRELOAD: preload, [BPFILTER_SOCKET_ENV]: socketPath };
}

/**
 * Runs the command to completion with the preload library.
 * @throws UmdError `UMD_START_FAILED` if the library is missing or the command cannot be spawned;
 * `UMD_INVALID_ARGUMENT` for a command the dynamic loader would run without the preload (set-user-ID
 * or set-group-ID, statically linked, or of another architecture than the library).
 */
export async function exec(options: ExecOptions): Promise<ExecResult> {
  const library = requirePreloadLibrary(options.preloadLibrary);
  options.signal?.throwIfAborted();
  refuseCommandWithoutPreload(options.command, options.env ?? process.env, library);
  let socketPath = options.socketPath;
  let ownService: Awaited<ReturnType<typeof serve>> | undefined;
  let ownDir: string | undefined;
  if (socketPath === undefined) {
    ownDir = mkdtempSync(join(tmpdir(), 'bpfilter-'));
    socketPath = join(ownDir, 'bpfilter.sock');
    ownService = await serve({ warmUp: false, ...options.serve, socketPath });
  }
  try {
    return await run(options, preloadEnvironment(socketPath, options.env ?? process.env, library));
  } finally {
    await ownService?.close();
    if (ownDir) rmSync(ownDir, { recursive: true, force: true });
  }
}

function run(options: ExecOptions, env: NodeJS.ProcessEnv): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, [...(options.args ?? [])], {
      env,
      stdio: options.stdio ?? 'inherit',
    });
    const onAbort = () => {
      const reason: unknown = options.signal?.reason;
      child.kill(
        typeof reason === 'string' && reason.startsWith('SIG')
          ? (reason as NodeJS.Signals)
          : 'SIGTERM',
      );
    };
    // Aborted while the service started: the command is stopped as soon as it exists.
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(
        new UmdError(
          UmdErrorCode.START_FAILED,
          `bpfilter exec: cannot run ${options.command}: ${error.message}`,
          { cause: error },
        ),
      );
    });
    child.once('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal });
    });
  });
}
