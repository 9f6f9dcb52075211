import { type HandlerKind, handlerKinds, isHandlerKind } from '../handlers.js';

/** What the command line asks for. */
export type Command =
  | { kind: 'check'; handler: HandlerKind; offsets: string[]; verbose: boolean }
  | { kind: 'selftest'; handlers: HandlerKind[]; requests: number; seed: number | undefined }
  // #region sample-only
  | { kind: 'new'; name: string; dir: string | undefined; workspace: boolean; force: boolean }
  // #endregion
  | { kind: 'help' };

/** A command line that cannot be understood; the message says why. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

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
  '  sample-umd new <name> [dir] [--workspace] [--force]',
  '                                       make a new driver package from this one',
  // #endregion
  'Prints one result a line. Exit status: 0 all ok, 1 a request failed, 2 bad input.',
].join('\n');

/** Parses the arguments after `node cli.js`. Throws {@link UsageError}. */
export function parseArgs(argv: readonly string[]): Command {
  const positional: string[] = [];
  let handler: HandlerKind | undefined;
  let requests: number | undefined;
  let seed: number | undefined;
  const flags = new Set<string>();
  let endOfOptions = false;
  let verbose = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // A minus followed by a digit is a (negative) offset, refused later with its own message.
    if (endOfOptions || !arg.startsWith('-') || /^-\d/.test(arg)) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const value = (): string => {
      const next = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    switch (flag) {
      case '--':
        endOfOptions = true;
        break;
      case '-h':
      case '--help':
        return { kind: 'help' };
      case '--handler': {
        const kind = value();
        if (!isHandlerKind(kind))
          throw new UsageError(
            `--handler must be ${handlerKinds.join(' or ')}, not ${JSON.stringify(kind)}`,
          );
        handler = kind;
        break;
      }
      case '--verbose':
        verbose = true;
        break;
      case '--requests':
        requests = positiveInteger(flag, value());
        break;
      case '--seed':
        seed = positiveInteger(flag, value());
        break;
      // #region sample-only
      case '--workspace':
      case '--force':
        flags.add(flag);
        break;
      // #endregion
      default:
        throw new UsageError(`unknown option ${flag}`);
    }
  }

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
  if (positional[0] === 'new') {
    const [, name, dir, extra] = positional;
    if (name === undefined) throw new UsageError('new needs a name: sample-umd new <name> [dir]');
    if (extra !== undefined)
      throw new UsageError(`new takes a name and a directory, got also ${extra}`);
    return {
      kind: 'new',
      name,
      dir,
      workspace: flags.has('--workspace'),
      force: flags.has('--force'),
    };
  }
  if (flags.size > 0) throw new UsageError(`${[...flags].join(' and ')} go with new`);
  // #endregion
  return { kind: 'check', handler: handler ?? 'ts', offsets: positional, verbose };
}

function positiveInteger(flag: string, value: string): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) === 0) {
    throw new UsageError(`${flag} must be a positive integer, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}
