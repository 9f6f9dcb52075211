#!/usr/bin/env node
/**
 * The `bpfilter` command line: table commands (list, save, restore, classify) and the
 * iptables service (serve, exec). Exit status: 0 done, 1 failed, 2 bad usage.
 */
import { text } from 'node:stream/consumers';
import { cliMain, packageVersion, UsageError } from '@umd/core/cli';
import { type TableCommand, TABLE_COMMANDS, runTableCommand } from './cli/run-command.js';
import { USAGE } from './cli/usage.js';
import { runExecCommand, runServeCommand } from './service/commands.js';

async function run(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined) throw new UsageError('no command given');
  if (command === 'serve') return runServeCommand(rest);
  if (command === 'exec') return runExecCommand(rest);
  if (!(TABLE_COMMANDS as readonly string[]).includes(command))
    throw new UsageError(`unknown command "${command}"`);
  await runTableCommand(command as TableCommand, rest, {
    stdout: (out) => process.stdout.write(out),
    readStdin: () => text(process.stdin),
    env: process.env,
  });
  return 0;
}

cliMain({
  name: 'bpfilter',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
  run,
});
