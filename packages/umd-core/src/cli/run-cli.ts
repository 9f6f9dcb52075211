/**
 * The frame of every umd command line: `--help`, `--version`, usage errors on stderr with
 * status 2 (also any `UMD_INVALID_ARGUMENT`), other failures on stderr with status 1, and a loud failure if the event loop
 * empties before the command finished (a wait nothing kept alive would otherwise exit 0).
 */
import { readFileSync } from 'node:fs';
import { isUmdError, UmdErrorCode } from '../errors/umd-error.js';
import { CliAnswer, UsageError } from './usage-error.js';

/** Exit statuses shared by the umd command lines. */
export const CliExit = {
  /** Done. */
  OK: 0,
  /** The work failed (the message says why). */
  FAILED: 1,
  /** The command line, or input it named, was not valid (a `UMD_INVALID_ARGUMENT`). */
  USAGE: 2,
} as const;

/** A command-line program. */
export interface CliProgram {
  /** The command's name, as typed (`bpfilter`). */
  name: string;
  /** What `--version` prints. */
  version: string;
  /** What `--help` prints (to stdout) and a usage error prints (to stderr). */
  usage: string;
  /**
   * Runs the command with the arguments after its name; resolves with the exit status.
   * Throws {@link UsageError} for a bad command line.
   */
  run: (args: string[]) => Promise<number>;
}

/** Where {@link runCli} writes (tests pass their own). */
export interface CliOutput {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processOutput: CliOutput = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

const withNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);

/**
 * Runs `program` with `args` and resolves with the exit status; never rejects.
 * `--help`, `-h` or `help` as the first argument prints the usage, `--version` the version.
 */
export async function runCli(
  program: CliProgram,
  args: string[],
  output: CliOutput = processOutput,
): Promise<number> {
  const first = args[0];
  try {
    if (first === '--help' || first === '-h' || first === 'help') throw new CliAnswer('help');
    if (first === '--version') throw new CliAnswer('version');
    return await program.run(args);
  } catch (error) {
    if (error instanceof CliAnswer) {
      output.stdout(withNewline(error.ask === 'help' ? program.usage : program.version));
      return CliExit.OK;
    }
    if (error instanceof UsageError) {
      output.stderr(`${program.name}: ${error.message}\n${withNewline(program.usage)}`);
      return CliExit.USAGE;
    }
    const message = isUmdError(error)
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? (error.stack ?? error.message)
        : String(error);
    output.stderr(`${program.name}: ${message}\n`);
    // Bad input found past the command line (a rules file, a request) is bad usage too.
    return isUmdError(error, UmdErrorCode.INVALID_ARGUMENT) ? CliExit.USAGE : CliExit.FAILED;
  }
}

/**
 * The entry of a bin script: runs `program` with `process.argv`, sets `process.exitCode`,
 * and fails loudly (status 1) should the process end before the command settled.
 */
export function cliMain(program: CliProgram): void {
  let finished = false;
  process.on('exit', () => {
    if (finished) return;
    process.stderr.write(`${program.name}: ended before finishing its work\n`);
    process.exitCode = CliExit.FAILED;
  });
  void runCli(program, process.argv.slice(2)).then((status) => {
    finished = true;
    process.exitCode = status;
  });
}

/** The `version` of the package.json at `url` (e.g. `new URL('../package.json', import.meta.url)`). */
export function packageVersion(url: URL): string {
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}
