import { parseCommandLine, UsageError } from '@umd/core/cli';
import type { BlobFormat } from './build-blob.js';

/** What the `umd-blob` command line asks for. */
export type BlobCommand =
  | {
      kind: 'bundle';
      entry: string;
      name: string;
      outDir: string;
      minify: boolean;
      sourcemap: boolean;
      format: BlobFormat;
    }
  | { kind: 'digest'; file: string; name: string | undefined };

/** Usage text of `umd-blob`. */
export const BLOB_CLI_USAGE = `usage:
  umd-blob <entry> --name <name> --out-dir <dir> [--format auto|cjs|esm]
           [--no-minify] [--no-sourcemap]
      bundle a JS handler into <dir>/<name>.blob.cjs (or .mjs) and write <dir>/<name>.blob.json
  umd-blob --digest <file> [--name <name>]
      print the SHA-256 of a (native) blob; with --name also write <name>.blob.json beside it
  umd-blob --help | --version`;

/**
 * Parses `umd-blob` arguments (without `node` and the script path).
 * @throws UsageError naming the flag when the arguments do not make sense (a `CliAnswer`
 *   for `--help` and `--version`).
 */
export function parseBlobCliArgs(argv: string[]): BlobCommand {
  const { values, positionals } = parseCommandLine(argv, {
    name: { type: 'string' },
    'out-dir': { type: 'string' },
    digest: { type: 'string' },
    'no-minify': { type: 'boolean' },
    'no-sourcemap': { type: 'boolean' },
    format: { type: 'string', default: 'auto' },
  });
  if (values.digest !== undefined) {
    if (positionals.length > 0 || values['out-dir'] !== undefined)
      throw new UsageError('--digest takes one file and no entry or --out-dir');
    return { kind: 'digest', file: values.digest, name: values.name };
  }
  if (positionals.length !== 1) throw new UsageError('expected exactly one entry file');
  if (values.name === undefined || values['out-dir'] === undefined)
    throw new UsageError('--name and --out-dir are required');
  const format = values.format as BlobFormat;
  if (!['auto', 'cjs', 'esm'].includes(format))
    throw new UsageError('--format must be auto, cjs or esm');
  return {
    kind: 'bundle',
    entry: positionals[0]!,
    name: values.name,
    outDir: values['out-dir'],
    minify: !values['no-minify'],
    sourcemap: !values['no-sourcemap'],
    format,
  };
}
