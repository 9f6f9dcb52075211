/**
 * The `serve` and `exec` subcommands of the `bpfilter` CLI. Each takes the arguments after
 * its name and resolves with the process exit code; the CLI only dispatches.
 */
import { isUmdError } from '@umd/core';
import { exec } from './exec.js';
import { BPFILTER_SOCKET_ENV } from './protocol.js';
import { serve } from './server.js';

/** Usage lines of the two subcommands. */
export const SERVICE_USAGE = [
  'bpfilter serve --socket PATH           run the service the preload library talks to',
  'bpfilter exec [--socket PATH] -- CMD   run CMD (e.g. iptables-legacy) against bpfilter',
].join('\n');

/** `bpfilter serve --socket PATH [--verbose]`: runs until SIGINT/SIGTERM. */
export async function runServeCommand(argv: readonly string[]): Promise<number> {
  let socketPath: string | undefined;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--socket') socketPath = argv[++i];
    else if (arg?.startsWith('--socket=')) socketPath = arg.slice('--socket='.length);
    else if (arg === '--verbose' || arg === '-v') verbose = true;
    else return usage(`serve: unknown argument ${arg}`);
  }
  if (!socketPath) return usage('serve: --socket PATH is required');
  const log = verbose
    ? (line: string) => process.stderr.write(`bpfilter serve: ${line}\n`)
    : undefined;
  let service;
  try {
    service = await serve({ socketPath, log });
  } catch (error) {
    return fail(error);
  }
  process.stderr.write(
    `bpfilter serve: listening on ${service.socketPath} (${BPFILTER_SOCKET_ENV}=${service.socketPath}); Ctrl-C stops\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await service.close();
  return 0;
}

/** `bpfilter exec [--socket PATH] -- COMMAND [ARGS...]`: the command's exit status. */
export async function runExecCommand(argv: readonly string[]): Promise<number> {
  let socketPath = process.env[BPFILTER_SOCKET_ENV] || undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (arg === '--socket') socketPath = argv[++i];
    else if (arg?.startsWith('--socket=')) socketPath = arg.slice('--socket='.length);
    else if (arg?.startsWith('-')) return usage(`exec: unknown option ${arg}`);
    else break; // the command itself, without a `--`
  }
  const [command, ...args] = argv.slice(i);
  if (!command) return usage('exec: no command given');
  try {
    const result = await exec({ command, args, socketPath });
    if (result.signal) return 128 + (signalNumber(result.signal) ?? 0);
    return result.exitCode ?? 1;
  } catch (error) {
    return fail(error);
  }
}

function signalNumber(signal: NodeJS.Signals): number | undefined {
  const numbers: Partial<Record<NodeJS.Signals, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGABRT: 6,
    SIGKILL: 9,
    SIGSEGV: 11,
    SIGPIPE: 13,
    SIGTERM: 15,
  };
  return numbers[signal];
}

function usage(message: string): number {
  process.stderr.write(`bpfilter ${message}\nusage:\n${SERVICE_USAGE}\n`);
  return 2;
}

function fail(error: unknown): number {
  const message = isUmdError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`bpfilter: ${message}\n`);
  return 1;
}
