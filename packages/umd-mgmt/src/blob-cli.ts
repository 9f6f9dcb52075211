#!/usr/bin/env node
// The `umd-blob` command: a thin shell over @umd/mgmt/build for build scripts and humans.
import { BLOB_CLI_USAGE, parseBlobCliArgs } from './build/blob-cli-args.js';
import { buildBlob } from './build/build-blob.js';
import { recordBlob } from './build/blob-manifest.js';
import { sha256File } from './build/sha256-file.js';

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseBlobCliArgs(argv);
  } catch (error) {
    process.stderr.write(`umd-blob: ${(error as Error).message}\n${BLOB_CLI_USAGE}\n`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${BLOB_CLI_USAGE}\n`);
      return 0;
    case 'digest': {
      if (command.name === undefined) {
        process.stdout.write(`${await sha256File(command.file)}\n`);
      } else {
        const result = await recordBlob({ file: command.file, name: command.name });
        process.stdout.write(`${result.sha256}  ${result.file}\nwrote ${result.manifestFile}\n`);
      }
      return 0;
    }
    case 'bundle': {
      const result = await buildBlob(command);
      process.stdout.write(`${result.sha256}  ${result.file}\nwrote ${result.manifestFile}\n`);
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`umd-blob: ${(error as Error).message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
