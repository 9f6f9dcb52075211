#!/usr/bin/env node
/**
 * The `bpfilter` command line: table commands (list, save, restore, classify) and the
 * iptables service (serve, exec). Exit status: 0 done, 1 failed, 2 bad usage.
 */
import { text } from 'node:stream/consumers';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { type TableCommand, TABLE_COMMANDS, runTableCommand } from './cli/run-command.js';
import { USAGE } from './cli/usage.js';
import { runExecCommand, runServeCommand } from './service/commands.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'serve') return runServeCommand(rest);
  if (command === 'exec') return runExecCommand(rest);
  if (!(TABLE_COMMANDS as readonly string[]).includes(command)) {
    process.stderr.write(`bpfilter: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  try {
    await runTableCommand(command as TableCommand, rest, {
      stdout: (out) => process.stdout.write(out),
      readStdin: () => text(process.stdin),
      env: process.env,
    });
    return 0;
  } catch (error) {
    const message = isUmdError(error)
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
    process.stderr.write(`bpfilter ${command}: ${message}\n`);
    return isUmdError(error, UmdErrorCode.INVALID_ARGUMENT) ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
