/**
 * The `serve` and `exec` subcommands of the `bpfilter` CLI. Each takes the arguments after
 * its name and resolves with the process exit code; the CLI only dispatches.
 */
import { constants } from 'node:os';
import { isUmdError, type UmdError, UmdErrorCode } from '@umd/core';
import { parseCommandLine, UsageError } from '@umd/core/cli';
import { exec } from './exec.js';
import { watchLauncher } from './launcher-watch.js';
import { BPFILTER_SOCKET_ENV } from './protocol.js';
import { serve } from './server.js';

/** Usage lines of the two subcommands. */
export const SERVICE_USAGE = [
  'bpfilter serve --socket PATH [--state FILE] [--enforce] [--verbose]',
  '                                      run the service the preload library talks to;',
  '                                      --state keeps its tables in FILE across restarts',
  'bpfilter exec [--socket PATH | --enforce] -- CMD',
  '                                      run CMD (e.g. iptables-legacy) against bpfilter',
  "  --enforce: also install the tables into this network namespace's kernel (nftables)",
].join('\n');

/** The options of `bpfilter serve`. */
const SERVE_OPTIONS = {
  socket: { type: 'string' },
  state: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  enforce: { type: 'boolean' },
} as const;

/**
 * `bpfilter serve --socket PATH [--state FILE] [--enforce] [--verbose]`: runs until
 * SIGINT/SIGTERM (or, run by npx, the end of npm's shell: see watchLauncher), then closes (socket removed, state written) and resolves 0; 1 if the
 * service cannot start (a damaged state file, nft missing or refusing with --enforce) or the
 * last state write failed. Throws a `UsageError` for bad arguments.
 */
export async function runServeCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandLine(argv, SERVE_OPTIONS, { allowPositionals: false });
  const socketPath = values.socket;
  if (!socketPath) throw new UsageError('serve: --socket PATH is required');
  const stateFile = values.state;
  if (stateFile === '') throw new UsageError('serve: --state needs a FILE');
  const log = (line: string) => process.stderr.write(`bpfilter serve: ${line}\n`);
  // Listen before anything can start a handler: the manager's exit hook re-raises a signal
  // nobody else listens to, which would kill us with 143/130 instead of a clean stop.
  let stop: (why: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onSignal = (signal: NodeJS.Signals) => stop(`on ${signal}`);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unwatch = watchLauncher(() => stop('as the npm process that ran it is gone'));
  try {
    let service;
    try {
      service = await serve({
        socketPath,
        stateFile,
        enforce: values.enforce === true,
        log: values.verbose ? log : undefined,
      });
    } catch (error) {
      return fail(error);
    }
    log(
      `listening on ${service.socketPath} (${BPFILTER_SOCKET_ENV}=${service.socketPath})${stateFile ? `, state in ${stateFile}` : ''}${values.enforce ? ', enforcing' : ''}; Ctrl-C stops`,
    );
    const why = await stopped;
    try {
      await service.close();
    } catch (error) {
      return fail(error);
    }
    log(`stopped ${why}`);
    return 0;
  } finally {
    unwatch();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A failure to run the service: the message on stderr, status 1. */
function fail(error: unknown): number {
  const message = isUmdError(error)
    ? `${error.code}: ${error.message}`
    : error instanceof Error
      ? error.message
      : String(error);
  process.stderr.write(`bpfilter serve: ${message}\n`);
  return 1;
}

/**
 * Splits `exec` arguments into its own options and the command: the command starts after
 * `--`, or at the first argument that is neither an option nor an option's value.
 */
function splitExecArgs(argv: readonly string[]): { own: string[]; command: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') return { own: argv.slice(0, i), command: argv.slice(i + 1) };
    if (arg === '--socket') i++;
    else if (!arg.startsWith('-')) return { own: argv.slice(0, i), command: argv.slice(i) };
  }
  return { own: [...argv], command: [] };
}

/** Signals that stop `bpfilter exec`'s command rather than exec alone. */
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * `bpfilter exec [--socket PATH | --enforce] [--] COMMAND [ARGS...]`: the command's exit status
 * (128 + the signal that ended it), or as a shell says, 127 for a command not found and 126 for
 * one that cannot be run. Throws a `UsageError` for bad arguments.
 */
export async function runExecCommand(argv: readonly string[]): Promise<number> {
  const { own, command: commandLine } = splitExecArgs(argv);
  const { values } = parseCommandLine(
    own,
    { socket: { type: 'string' }, enforce: { type: 'boolean' } } as const,
    { allowPositionals: false },
  );
  const socketPath = values.socket ?? (process.env[BPFILTER_SOCKET_ENV] || undefined);
  const [command, ...args] = commandLine;
  if (!command) throw new UsageError('exec: no command given');
  const enforce = values.enforce === true;
  // A running service enforces (or not) as it was started; --enforce is for exec's own service.
  if (enforce && socketPath !== undefined)
    throw new UsageError(
      'exec: --enforce applies to the service exec starts; start `serve --enforce` instead',
    );
  // A signal to exec is passed on to the command: exec then ends when it does, its own
  // service and socket directory cleaned up, instead of leaving it running without them.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => stop.abort(signal);
  for (const name of FORWARDED_SIGNALS) process.on(name, onSignal);
  const unwatch = watchLauncher(() => stop.abort('SIGTERM'));
  let result;
  try {
    result = await exec({ command, args, socketPath, serve: { enforce }, signal: stop.signal });
  } catch (error) {
    const status = notRunStatus(error);
    if (status === undefined) throw error;
    const { code, message } = error as UmdError;
    process.stderr.write(`bpfilter: ${code}: ${message}\n`);
    return status;
  } finally {
    unwatch();
    for (const name of FORWARDED_SIGNALS) process.off(name, onSignal);
  }
  if (result.signal) return 128 + signalNumber(result.signal);
  return result.exitCode ?? 1;
}

/**
 * The status a shell (and `env`, `nice`, `timeout`) gives a command it could not run: 127 when
 * it was not found, 126 when it was found but could not be run (not executable, a directory).
 * Undefined for any other failure of exec (a missing preload library, a refused command).
 */
function notRunStatus(error: unknown): 126 | 127 | undefined {
  if (!isUmdError(error, UmdErrorCode.START_FAILED)) return undefined;
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  if (!cause?.syscall?.startsWith('spawn')) return undefined;
  return cause.code === 'ENOENT' ? 127 : 126;
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0;
}
