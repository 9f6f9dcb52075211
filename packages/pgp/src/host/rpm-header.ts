/**
 * RPM headers as the host checks them: the preambles it reads at fixed offsets, every index
 * entry of a tag it uses (all of them, not only those the handler named), and each value
 * re-encoded and compared with the header's bytes.
 */
import type { RpmEntry, RpmHeader } from '../contract.js';
import { PgpError } from '../errors.js';
import { lie } from './check.js';

const MAGIC = Buffer.from('8eade80100000000', 'hex');

/** A header whose layout the host checked: where it lies and its entries by tag. */
export interface CheckedHeader {
  start: number;
  end: number;
  dataStart: number;
  entries: Map<number, RpmEntry>;
}

function encodeValue(entry: RpmEntry, path: string): Buffer {
  const { type, count, value } = entry;
  if (type === 7) {
    if (typeof value !== 'string') lie(path, 'BIN value must be base64');
    const bytes = Buffer.from(value, 'base64');
    if (bytes.length !== count) lie(path, 'BIN value length differs from its count');
    return bytes;
  }
  if (!Array.isArray(value) || value.length !== (type === 6 ? 1 : count)) lie(path, 'value count');
  if (type === 3 || type === 4) {
    const width = type === 3 ? 2 : 4;
    const out = Buffer.alloc(width * value.length);
    value.forEach((v, i) => {
      if (typeof v !== 'number' || v >= 2 ** (8 * width)) lie(path, 'integer out of range');
      out.writeUIntBE(v, i * width, width);
    });
    return out;
  }
  if (type === 6 || type === 8 || type === 9) {
    if (type === 6 && count !== 1) lie(path, 'STRING with a count other than 1');
    return Buffer.concat(
      value.map((v) => {
        if (typeof v !== 'string' || v.includes('\0')) lie(path, 'string expected');
        return Buffer.from(`${v}\0`, 'latin1');
      }),
    );
  }
  return lie(path, `entry type ${type} is not used`);
}

/**
 * Checks header `h` of `file` (the bytes the host read) at the offset the host expects, and
 * every entry of the `tags` it uses. Returns its layout and entries.
 */
export function checkHeader(
  file: Buffer,
  h: RpmHeader,
  start: number,
  tags: readonly number[],
  path: string,
): CheckedHeader {
  if (h.start !== start) lie(path, `header at ${h.start}, expected ${start}`);
  if (start + 16 > file.length || !file.subarray(start, start + 8).equals(MAGIC)) {
    throw new PgpError('PGP_MALFORMED', `no RPM header magic at ${start}`);
  }
  const indexCount = file.readUInt32BE(start + 8);
  const dataLength = file.readUInt32BE(start + 12);
  if (indexCount !== h.indexCount || dataLength !== h.dataLength)
    lie(path, 'header counts differ from the file');
  const dataStart = start + 16 + 16 * indexCount;
  const end = dataStart + dataLength;
  if (end > file.length)
    throw new PgpError('PGP_MALFORMED', `header at ${start} runs past the bytes read`);
  const reported = new Map(h.entries.map((e) => [e.index, e]));
  const entries = new Map<number, RpmEntry>();
  for (let index = 0; index < indexCount; index++) {
    const at = start + 16 + 16 * index;
    const tag = file.readUInt32BE(at);
    if (!tags.includes(tag)) continue;
    const entry = reported.get(index);
    const where = `${path}.entries[index ${index}]`;
    if (!entry) lie(where, `tag ${tag} is in the header but was not reported`);
    if (entries.has(tag))
      throw new PgpError('PGP_MALFORMED', `tag ${tag} appears twice in the header at ${start}`);
    const fields = [
      tag,
      file.readUInt32BE(at + 4),
      file.readUInt32BE(at + 8),
      file.readUInt32BE(at + 12),
    ];
    if (fields.join() !== [entry.tag, entry.type, entry.offset, entry.count].join())
      lie(where, 'index entry differs');
    const encoded = encodeValue(entry, where);
    const from = dataStart + entry.offset;
    if (
      from + encoded.length > end ||
      !file.subarray(from, from + encoded.length).equals(encoded)
    ) {
      lie(where, 'value differs from the header bytes');
    }
    entries.set(tag, entry);
  }
  if (entries.size !== h.entries.length) lie(path, 'entries reported that are not in the header');
  return { start, end, dataStart, entries };
}

/** The strings of a string-array entry as UTF-8 (the handler sends them byte for byte). */
export function strings(entry: RpmEntry | undefined): string[] {
  return Array.isArray(entry?.value)
    ? entry.value.map((v) => Buffer.from(String(v), 'latin1').toString('utf8'))
    : [];
}

/** The numbers of an integer entry. */
export function numbers(entry: RpmEntry | undefined): number[] {
  return Array.isArray(entry?.value) ? entry.value.map(Number) : [];
}
