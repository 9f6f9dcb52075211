import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha256File } from './sha256-file.js';

/** What {@link buildBlob} and {@link recordBlob} return. */
export interface BlobResult {
  /** Absolute path of the blob. */
  file: string;
  /** Hex SHA-256 of the blob. */
  sha256: string;
  /** Absolute path of the manifest `<name>.blob.json`. */
  manifestFile: string;
}

/** Options of {@link recordBlob}. */
export interface RecordBlobOptions {
  /** The blob (for example a native executable compiled with `cc`). */
  file: string;
  /** Handler name; the manifest is written as `<dir of file>/<name>.blob.json`. */
  name: string;
}

/**
 * Records an existing blob (typically a native handler): computes its SHA-256 and writes the
 * manifest `<name>.blob.json` beside it.
 */
export async function recordBlob(options: RecordBlobOptions): Promise<BlobResult> {
  const sha256 = await sha256File(options.file);
  const manifestFile = join(dirname(options.file), `${options.name}.blob.json`);
  // The manifest's shape is `BlobManifest` of @umd/mgmt, which loaders import.
  const manifest = { name: options.name, file: basename(options.file), sha256 };
  await writeFile(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return { file: options.file, sha256, manifestFile };
}
