/** ASCII armor (RFC 9580 section 6): finds armored blocks and checks their CRC-24. */
import { bad } from './bad.js';

/** One armored block: its type, and the range of its base64 body in the input. */
export interface ArmorBlock {
  type: string;
  start: number;
  end: number;
  /** Where the block's END line ends. */
  after: number;
}

const BEGIN = /^-----BEGIN PGP ([A-Z ,/0-9]+)-----[ \t]*\r?$/;

/**
 * True when the first byte reads as the header of a packet gpg knows: gpg then reads the input
 * as binary, whatever follows (GnuPG 2.2, measured on each first byte before an armored
 * signature): tags 1 to 14, 16 to 19, 61 and 63, and of old-format indeterminate lengths only
 * compressed, encrypted and literal data.
 */
function startsAsPacket(first: number): boolean {
  if ((first & 0x80) === 0) return false;
  if (first & 0x40) {
    const tag = first & 0x3f;
    return (tag >= 1 && tag <= 14) || (tag >= 16 && tag <= 19) || tag === 61 || tag === 63;
  }
  const tag = (first >> 2) & 0x0f;
  if (tag < 1 || tag > 14) return false;
  return (first & 3) !== 3 || tag === 8 || tag === 9 || tag === 11;
}

/** True when `bytes` look armored, as gpg decides: a BEGIN line, and no packet header first. */
export function looksArmored(bytes: Uint8Array): boolean {
  if (startsAsPacket(bytes[0] ?? 0)) return false;
  const head = Buffer.from(bytes.subarray(0, 4096)).toString('latin1');
  return /(^|\n)-----BEGIN PGP /.test(head);
}

/** Finds the armored blocks of `text` from `from` on, of the given type if `type` is set. */
export function findArmor(bytes: Uint8Array, from = 0, type?: string): ArmorBlock[] {
  const text = Buffer.from(bytes).toString('latin1');
  const blocks: ArmorBlock[] = [];
  let pos = from;
  while (pos < text.length) {
    const lineEnd = nextLine(text, pos);
    const match = BEGIN.exec(text.slice(pos, lineEnd.end));
    pos = lineEnd.next;
    if (!match || (type !== undefined && match[1] !== type)) continue;
    // Armor headers ("Key: value") until a blank line.
    for (;;) {
      if (pos >= text.length) bad('armor: no blank line after the headers');
      const line = nextLine(text, pos);
      const content = text.slice(pos, line.end).replace(/[ \t\r]+$/, '');
      pos = line.next;
      if (content === '') break;
      if (!/^[\x21-\x39\x3b-\x7e]+: /.test(content)) bad(`armor: bad header line at ${pos}`);
    }
    const start = pos;
    let end = -1;
    let crc: string | undefined;
    let padded = false;
    for (;;) {
      if (pos >= text.length) bad(`armor: no END line for ${match[1]}`);
      const line = nextLine(text, pos);
      const content = text.slice(pos, line.end).replace(/[ \t\r]+$/, '');
      if (content.startsWith('-----END PGP ')) {
        if (content !== `-----END PGP ${match[1]}-----`) bad('armor: END line does not match');
        if (end < 0) end = pos;
        pos = line.next;
        break;
      }
      if (content.startsWith('=') && content.length === 5) {
        // As gpg: one checksum line, four base64 characters, nothing else.
        if (crc !== undefined || !/^[A-Za-z0-9+/]{4}$/.test(content.slice(1)))
          bad('armor: malformed CRC line');
        crc = content.slice(1);
        end = pos;
      } else if (end >= 0 || padded || !/^[A-Za-z0-9+/]*={0,2}$/.test(content)) {
        // Nothing after padding but the checksum: Node's decoder would skip it, gpg does not.
        bad(`armor: bad base64 line at ${pos}`);
      } else padded = content.endsWith('=');
      pos = line.next;
    }
    const decoded = Buffer.from(text.slice(start, end), 'latin1').toString('latin1');
    const data = Buffer.from(decoded, 'base64');
    // A lone base64 character at the end carries no whole octet: Node's decoder drops it, gpg
    // reads on into the checksum line and fails its CRC (without a checksum gpg drops it too).
    const digits = decoded.replace(/[^A-Za-z0-9+/]/g, '').length;
    if (crc !== undefined && digits % 4 === 1) bad('armor: a lone base64 character before the CRC');
    if (crc !== undefined && Buffer.from(crc24(data)).toString('base64') !== crc) {
      bad(`armor: CRC-24 mismatch in ${match[1]}`);
    }
    blocks.push({ type: match[1] as string, start, end, after: pos });
  }
  return blocks;
}

function nextLine(text: string, pos: number): { end: number; next: number } {
  const newline = text.indexOf('\n', pos);
  return newline < 0
    ? { end: text.length, next: text.length }
    : { end: newline, next: newline + 1 };
}

/** The CRC-24 of RFC 9580 section 6.1, as three bytes. */
export function crc24(data: Uint8Array): Uint8Array {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return Uint8Array.of((crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff);
}
