#!/usr/bin/env node
/**
 * The command-line entry: `sample-umd <offset>...`, or offsets on stdin one a line (as one
 * wrote to the kernel selftest's file), and `sample-umd selftest`.
 */
import { cliMain, packageVersion } from '@umd/core/cli';
import { ExitCode, parseArgs, USAGE } from './cli/args.js';
import { readLines } from './cli/lines.js';
import { linesToInputs, runChecks } from './cli/run-checks.js';
import type { UmdManager } from '@umd/mgmt';
import { createSampleManager } from './manager.js';
import { runSelftest } from './selftest.js';

/** The longest stdin line read as one input; the rest of a longer line is skipped, not buffered. */
const MAX_LINE_BYTES = 256;

async function run(argv: string[]): Promise<number> {
  const command = parseArgs(argv);
  switch (command.kind) {
    case 'selftest': {
      let status: number = ExitCode.OK;
      for (const handler of command.handlers) {
        const report = await runSelftest({
          handler,
          requests: command.requests,
          ...(command.seed !== undefined ? { seed: command.seed } : {}),
          log: (line) => console.log(line),
        });
        if (report.problems.length > 0) status = ExitCode.FAILED;
      }
      return status;
    }
    // #region sample-only
    case 'new': {
      const { newDriverCommand } = await import('./generator/new-command.js');
      return newDriverCommand(command);
    }
    // #endregion
    case 'check': {
      const driver = createSampleManager({ handler: command.handler });
      if (command.verbose) logEvents(driver.manager);
      try {
        const inputs =
          command.offsets.length > 0
            ? command.offsets.map((text, i) => ({ source: `argument ${i + 1}`, text }))
            : linesToInputs(readLines(process.stdin, MAX_LINE_BYTES));
        if (command.offsets.length === 0 && process.stdin.isTTY) {
          process.stderr.write('reading offsets from stdin, one a line (end with Ctrl-D)\n');
        }
        return await runChecks(driver, inputs, (line) => process.stdout.write(`${line}\n`));
      } finally {
        await driver.stop();
      }
    }
  }
}

/** Prints the manager's events to stderr, one a line, so that a user sees each step. */
function logEvents(manager: UmdManager): void {
  const say = (line: string): void => void process.stderr.write(`event: ${line}\n`);
  manager.on('load', () => say('load'));
  manager.on('start', ({ pid }: { pid: number }) => say(`start pid ${pid}`));
  manager.on('ready', ({ pid }: { pid: number }) => say(`ready pid ${pid}`));
  manager.on(
    'exit',
    ({ pid, exitCode, signal }: { pid: number; exitCode: number | null; signal: string | null }) =>
      say(`exit pid ${pid} (${signal ?? `status ${String(exitCode)}`})`),
  );
  manager.on('restart', ({ pid }: { pid: number }) => say(`restart pid ${pid}`));
  manager.on('unload', () => say('unload'));
  manager.on('stderr', (line: string) => say(`handler stderr: ${line}`));
}

cliMain({
  name: 'sample-umd',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: USAGE,
  run,
});
