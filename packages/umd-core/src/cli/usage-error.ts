import { UmdError, UmdErrorCode } from '../errors/umd-error.js';

/**
 * A command line that cannot be understood. The message names the flag or argument at
 * fault; {@link runCli} prints it and the usage on stderr and exits with status 2.
 */
export class UsageError extends UmdError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(UmdErrorCode.INVALID_ARGUMENT, message, options);
    this.name = 'UsageError';
  }
}

/**
 * Thrown by {@link parseCommandLine} when `--help` or `--version` was given after a command;
 * {@link runCli} answers it on stdout with status 0. Not an error.
 */
export class CliAnswer extends Error {
  constructor(readonly ask: 'help' | 'version') {
    super(`--${ask} requested`);
    this.name = 'CliAnswer';
  }
}
