/**
 * The body of a `UMD_CMD_TABLE_NAMES` reply: the names of the tables in use, newest first,
 * one a line, as `/proc/net/ip_tables_names` lists them.
 */

/** Encodes table names as the reply body. */
export function encodeTableNames(names: readonly string[]): Uint8Array {
  return new TextEncoder().encode(names.map((name) => `${name}\n`).join(''));
}

/** Decodes a reply body into table names. */
export function decodeTableNames(body: Uint8Array): string[] {
  return new TextDecoder()
    .decode(body)
    .split('\n')
    .filter((line) => line.length > 0);
}
