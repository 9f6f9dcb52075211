import { parseArgs } from 'node:util';
import type { BlobFormat } from './build-blob.js';

/** What the `umd-blob` command line asks for. */
export type BlobCommand =
  | {
      kind: 'bundle';
      entry: string;
      name: string;
      outDir: string;
      minify: boolean;
      format: BlobFormat;
    }
  | { kind: 'digest'; file: string; name: string | undefined }
  | { kind: 'help' };

/** Usage text of `umd-blob`. */
export const BLOB_CLI_USAGE = `usage:
  umd-blob <entry> --name <name> --out-dir <dir> [--format auto|cjs|esm] [--no-minify]
      bundle a JS handler into <dir>/<name>.blob.cjs (or .mjs) and write <dir>/<name>.blob.json
  umd-blob --digest <file> [--name <name>]
      print the SHA-256 of a (native) blob; with --name also write <name>.blob.json beside it`;

/**
 * Parses `umd-blob` arguments (without `node` and the script path).
 * @throws Error with a message for the user when the arguments do not make sense.
 */
export function parseBlobCliArgs(argv: string[]): BlobCommand {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      'out-dir': { type: 'string' },
      digest: { type: 'string' },
      'no-minify': { type: 'boolean' },
      format: { type: 'string', default: 'auto' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { kind: 'help' };
  if (values.digest !== undefined) {
    if (positionals.length > 0 || values['out-dir'] !== undefined)
      throw new Error('--digest takes one file and no entry or --out-dir');
    return { kind: 'digest', file: values.digest, name: values.name };
  }
  if (positionals.length !== 1) throw new Error('expected exactly one entry file');
  if (values.name === undefined || values['out-dir'] === undefined)
    throw new Error('--name and --out-dir are required');
  const format = values.format as BlobFormat;
  if (!['auto', 'cjs', 'esm'].includes(format))
    throw new Error('--format must be auto, cjs or esm');
  return {
    kind: 'bundle',
    entry: positionals[0]!,
    name: values.name,
    outDir: values['out-dir'],
    minify: !values['no-minify'],
    format,
  };
}
