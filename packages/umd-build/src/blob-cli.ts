#!/usr/bin/env node
// The `umd-blob` command: a thin shell over @umd/build for build scripts and humans.
import { cliMain, packageVersion } from '@umd/core/cli';
import { BLOB_CLI_USAGE, parseBlobCliArgs } from './blob-cli-args.js';
import { recordBlob } from './record-blob.js';
import { buildBlob } from './build-blob.js';
import { sha256File } from './sha256-file.js';

async function run(argv: string[]): Promise<number> {
  const command = parseBlobCliArgs(argv);
  switch (command.kind) {
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

cliMain({
  name: 'umd-blob',
  version: packageVersion(new URL('../package.json', import.meta.url)),
  usage: BLOB_CLI_USAGE,
  run,
});
