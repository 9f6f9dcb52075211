/**
 * `@umd/core/cli`: the one argument parser and frame shared by the umd command lines
 * (`node:util` `parseArgs`, `--help` and `--version` everywhere, usage errors on stderr
 * with status 2 naming the flag). Use it for a driver's own command line too.
 * @packageDocumentation
 */
export { CliAnswer, UsageError } from './cli/usage-error.js';
export {
  type CommandLineOptions,
  optionValue,
  parseCommandLine,
  type ParsedCommandLine,
} from './cli/parse-command-line.js';
export {
  CliExit,
  cliMain,
  type CliOutput,
  type CliProgram,
  packageVersion,
  runCli,
} from './cli/run-cli.js';
