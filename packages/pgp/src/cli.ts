#!/usr/bin/env node
/** `umd-pgp`: the command line of `@umd/pgp` (see ./cli/usage.ts). */
import { parseArgs } from 'node:util';
import { isUmdError } from '@umd/core';
import pkg from '../package.json' with { type: 'json' };
import {
  appraiseFiles,
  type CommandLine,
  rpmDigests,
  showKey,
  verify,
  verifyRpm,
} from './cli/commands.js';
import { USAGE } from './cli/usage.js';
import { createPgpVerifier } from './driver.js';
import { isPgpError } from './errors.js';

const commands = {
  verify,
  'show-key': showKey,
  'verify-rpm': verifyRpm,
  'rpm-digests': rpmDigests,
  appraise: appraiseFiles,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      key: { type: 'string', short: 'k', multiple: true, default: [] },
      rpm: { type: 'string', multiple: true, default: [] },
      root: { type: 'string' },
      output: { type: 'string', short: 'o' },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '30000' },
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'V', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`umd-pgp ${pkg.version}\n`);
    return 0;
  }
  const [name, ...rest] = positionals;
  const command = name !== undefined ? commands[name as keyof typeof commands] : undefined;
  if (!command) {
    process.stderr.write(
      `umd-pgp: ${name ? `unknown command ${JSON.stringify(name)}` : 'no command'}\n\n${USAGE}`,
    );
    return 2;
  }
  const timeoutMs = Number(values.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new TypeError(`--timeout: ${values.timeout} is not a positive integer`);
  const line: CommandLine = {
    positionals: rest,
    keys: values.key,
    rpms: values.rpm,
    json: values.json,
    timeoutMs,
  };
  if (values.root !== undefined) line.root = values.root;
  if (values.output !== undefined) line.output = values.output;
  const verifier = createPgpVerifier();
  try {
    return await command(verifier, line, (text) => process.stdout.write(`${text}\n`));
  } finally {
    await verifier.stop();
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    const code = isPgpError(error) || isUmdError(error) ? `${error.code}: ` : '';
    process.stderr.write(
      `umd-pgp: ${code}${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
