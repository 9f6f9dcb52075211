/**
 * One argument parser for every umd command line: `node:util` `parseArgs`, strict, with
 * `--help`/`-h` and `--version` added to every command, and errors turned into a
 * {@link UsageError} that names the flag.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** The `options` of `node:util` `parseArgs`. */
export type CommandLineOptions = NonNullable<ParseArgsConfig['options']>;
import { CliAnswer, UsageError } from './usage-error.js';

const ANSWERS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

/** What {@link parseCommandLine} returns: the option values and the positional arguments. */
export interface ParsedCommandLine<T extends CommandLineOptions> {
  values: ReturnType<
    typeof parseArgs<{ options: T; allowPositionals: true; strict: true }>
  >['values'];
  positionals: string[];
}

/**
 * Parses `args` (the arguments after the command's name) against `options`.
 * @param allowPositionals - whether bare arguments are accepted (default true).
 * @throws {@link UsageError} for an unknown flag, a missing value or an unexpected argument;
 *   {@link CliAnswer} when `--help` or `--version` was given.
 */
export function parseCommandLine<const T extends CommandLineOptions>(
  args: readonly string[],
  options: T,
  { allowPositionals = true }: { allowPositionals?: boolean } = {},
): ParsedCommandLine<T> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, ...ANSWERS },
      allowPositionals,
      strict: true,
    });
  } catch (cause) {
    throw new UsageError(conciseMessage(cause as Error & { code?: string }), { cause });
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help === true) throw new CliAnswer('help');
  if (values.version === true) throw new CliAnswer('version');
  delete values.help;
  delete values.version;
  return parsed as unknown as ParsedCommandLine<T>;
}

/** parseArgs' message, shortened to what a user needs: which flag or argument, and why. */
function conciseMessage(error: Error & { code?: string }): string {
  const flag = /--[\w-]+|'(-\w)'/.exec(error.message);
  const name = flag?.[1] ?? flag?.[0];
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      if (name !== undefined) return `unknown option ${name}`;
      break;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (name !== undefined)
        return / argument missing/.test(error.message)
          ? `${name} needs a value`
          : `${name} takes no value`;
      break;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const argument = /'([^']*)'/.exec(error.message)?.[1];
      if (argument !== undefined) return `unexpected argument "${argument}"`;
    }
  }
  return error.message;
}

/**
 * Reads an option's text with `parse`, turning any error into a {@link UsageError} that
 * names the flag: `--src: "10.0.0.999" is not an IPv4 address`.
 */
export function optionValue<R>(flag: string, text: string, parse: (text: string) => R): R {
  try {
    return parse(text);
  } catch (cause) {
    throw new UsageError(`${flag}: ${(cause as Error).message}`, { cause });
  }
}
