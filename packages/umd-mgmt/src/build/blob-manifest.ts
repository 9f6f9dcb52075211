/**
 * The JSON written next to a blob, `<name>.blob.json`, by `buildBlob` and `recordBlob` of
 * `@umd/build`. A loader imports it so that the digest is inlined into its code at build
 * time. The type lives here, in the runtime package that reads it, so that a host's types
 * need no build tool.
 */
export interface BlobManifest {
  /** Handler name. */
  name: string;
  /** File name of the blob, relative to the manifest's directory. */
  file: string;
  /** Hex SHA-256 of the blob. */
  sha256: string;
}
