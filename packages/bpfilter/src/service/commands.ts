/**
 * The `serve` and `exec` subcommands of the `bpfilter` CLI. Each takes the arguments after
 * its name and resolves with the process exit code; the CLI only dispatches.
 */
import { parseCommandLine, UsageError } from '@umd/core/cli';
import { exec } from './exec.js';
import { BPFILTER_SOCKET_ENV } from './protocol.js';
import { serve } from './server.js';

/** Usage lines of the two subcommands. */
export const SERVICE_USAGE = [
  'bpfilter serve --socket PATH [--enforce]  run the service the preload library talks to',
  'bpfilter exec [--socket PATH | --enforce] -- CMD',
  '                                      run CMD (e.g. iptables-legacy) against bpfilter',
  "  --enforce: also install the tables into this network namespace's kernel (nftables)",
].join('\n');

/** The options of `bpfilter serve`. */
const SERVE_OPTIONS = {
  socket: { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  enforce: { type: 'boolean' },
} as const;

/**
 * `bpfilter serve --socket PATH [--verbose] [--enforce]`: runs until SIGINT/SIGTERM.
 * Throws a `UsageError` for bad arguments.
 */
export async function runServeCommand(argv: readonly string[]): Promise<number> {
  const { values } = parseCommandLine(argv, SERVE_OPTIONS, { allowPositionals: false });
  const socketPath = values.socket;
  if (!socketPath) throw new UsageError('serve: --socket PATH is required');
  const log = values.verbose
    ? (line: string) => process.stderr.write(`bpfilter serve: ${line}\n`)
    : undefined;
  const service = await serve({ socketPath, log, enforce: values.enforce === true });
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

/**
 * `bpfilter exec [--socket PATH | --enforce] [--] COMMAND [ARGS...]`: the command's exit status.
 * Throws a `UsageError` for bad arguments.
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
  const result = await exec({ command, args, socketPath, serve: { enforce } });
  if (result.signal) return 128 + (signalNumber(result.signal) ?? 0);
  return result.exitCode ?? 1;
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
