import { parseCommandLine, UsageError } from '@umd/core/cli';
import { type HandlerKind, handlerKinds, isHandlerKind } from '../handlers.js';

export { UsageError };

/** What the command line asks for. */
export type Command =
  | { kind: 'check'; handler: HandlerKind; offsets: string[]; verbose: boolean }
  // #region sample-only
  | {
      kind: 'new';
      name: string;
      dir: string | undefined;
      workspace: boolean;
      force: boolean;
      fromTarballs: string | undefined;
      minimal: boolean;
    }
  // #endregion
  | { kind: 'selftest'; handlers: HandlerKind[]; requests: number; seed: number | undefined };

/** Exit statuses of the command-line tool. */
export const ExitCode = {
  /** Every request succeeded. */
  OK: 0,
  /** At least one request failed (handler error, bad reply, handler crash). */
  FAILED: 1,
  /** The command line or an input line was not valid; nothing invalid reached the handler. */
  USAGE: 2,
} as const;

const handlerChoice = handlerKinds.join('|');

/** The help text of the command-line tool. */
export const USAGE = [
  'Usage:',
  `  sample-umd [--handler ${handlerChoice}] <offset>...   check each offset (decimal or 0x hex)`,
  `  sample-umd [--handler ${handlerChoice}] < file        the same, offsets on stdin, one a line`,
  "      --verbose                        also print the manager's events (load, start, exit...) to stderr",
  `  sample-umd selftest [--handler ${handlerChoice}] [--requests N] [--seed N]`,
  '                                       run the selftest (default: every handler, 500 requests,',
  '                                       a random seed, printed so that a run can be replayed)',
  // #region sample-only
  '  sample-umd new <name> [dir] [--minimal] [--workspace] [--force] [--from-tarballs DIR]',
  '                                       make a new driver package from this one (--minimal:',
  '                                       a handler, a loader, the host side, one test); with',
  '                                       --from-tarballs it depends on the umd-core, umd-mgmt',
  '                                       and umd-build tarballs in DIR instead of the registry',
  // #endregion
  '  sample-umd --help | --version',
  'Prints one result a line. Exit status: 0 all ok, 1 a request failed, 2 bad input.',
].join('\n');

const OPTIONS = {
  handler: { type: 'string' },
  verbose: { type: 'boolean' },
  requests: { type: 'string' },
  seed: { type: 'string' },
  // #region sample-only
  workspace: { type: 'boolean' },
  force: { type: 'boolean' },
  'from-tarballs': { type: 'string' },
  minimal: { type: 'boolean' },
  // #endregion
} as const;

/** parseArgs reads `-1` as a flag; a negative offset is kept, to be refused as an offset. */
const NEGATIVE = '\0';
const protect = (args: readonly string[]): string[] => {
  const end = args.indexOf('--');
  return args.map((arg, i) => ((end === -1 || i < end) && /^-\d/.test(arg) ? NEGATIVE + arg : arg));
};

/**
 * Parses the arguments after `node cli.js`. Throws {@link UsageError}, or a `CliAnswer` for
 * `--help` and `--version` (which `runCli` answers).
 */
export function parseArgs(argv: readonly string[]): Command {
  const { values, positionals: raw } = parseCommandLine(protect(argv), OPTIONS);
  const positional = raw.map((arg) => (arg.startsWith(NEGATIVE) ? arg.slice(1) : arg));
  const handler = values.handler;
  if (handler !== undefined && !isHandlerKind(handler))
    throw new UsageError(
      `--handler must be ${handlerKinds.join(' or ')}, not ${JSON.stringify(handler)}`,
    );
  const requests = optional('--requests', values.requests);
  const seed = optional('--seed', values.seed);

  if (positional[0] === 'selftest') {
    if (positional.length > 1)
      throw new UsageError(`selftest takes no arguments, got ${positional[1]}`);
    return {
      kind: 'selftest',
      handlers: handler ? [handler] : handlerKinds,
      requests: requests ?? 500,
      seed,
    };
  }
  if (requests !== undefined || seed !== undefined)
    throw new UsageError('--requests and --seed go with selftest');
  // #region sample-only
  const newFlags = (['workspace', 'force', 'from-tarballs', 'minimal'] as const).filter(
    (flag) => values[flag] !== undefined && values[flag] !== false,
  );
  if (positional[0] === 'new') {
    const [, name, dir, extra] = positional;
    if (name === undefined) throw new UsageError('new needs a name: sample-umd new <name> [dir]');
    if (extra !== undefined)
      throw new UsageError(`new takes a name and a directory, got also ${extra}`);
    return {
      kind: 'new',
      name,
      dir,
      workspace: values.workspace === true,
      force: values.force === true,
      fromTarballs: values['from-tarballs'],
      minimal: values.minimal === true,
    };
  }
  if (newFlags.length > 0)
    throw new UsageError(`${newFlags.map((flag) => `--${flag}`).join(' and ')} go with new`);
  // #endregion
  return {
    kind: 'check',
    handler: handler ?? 'ts',
    offsets: positional,
    verbose: !!values.verbose,
  };
}

function optional(flag: string, value: string | undefined): number | undefined {
  return value === undefined ? undefined : positiveInteger(flag, value);
}

function positiveInteger(flag: string, value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0) {
    throw new UsageError(`${flag} must be a positive integer, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}
