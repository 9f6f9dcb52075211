/** OpenPGP packet framing (RFC 9580 section 4.2): headers, lengths, partial bodies. */
import type { Span } from '../contract.js';
import { bad } from './bad.js';

/** One packet: its tag and its body as spans of the bytes (several for partial lengths). */
export interface RawPacket {
  tag: number;
  spans: Span[];
  /** Where the body starts (the first span's start). */
  at: number;
}

/** Reads a big-endian unsigned integer of `width` bytes at `pos`, checking the bounds. */
export function uint(bytes: Uint8Array, pos: number, width: number): number {
  if (pos < 0 || pos + width > bytes.length) bad(`truncated: ${width} bytes needed at ${pos}`);
  let value = 0;
  for (let i = 0; i < width; i++) value = value * 256 + (bytes[pos + i] as number);
  return value;
}

/** Reads every packet of `bytes`. Partial body lengths are allowed only for data packets. */
export function readPackets(bytes: Uint8Array): RawPacket[] {
  const packets: RawPacket[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const first = uint(bytes, pos, 1);
    if ((first & 0x80) === 0) bad(`byte ${pos}: not a packet header (0x${first.toString(16)})`);
    pos += 1;
    if ((first & 0x40) === 0) {
      const tag = (first >> 2) & 0x0f;
      const type = first & 3;
      if (type === 3) {
        // Indeterminate length: the packet runs to the end (gpg writes compressed data so).
        if (![8, 9, 11, 18].includes(tag)) bad(`packet ${tag}: indeterminate length not allowed`);
        packets.push({ tag, spans: [[pos, bytes.length]], at: pos });
        pos = bytes.length;
        continue;
      }
      const width = [1, 2, 4][type] as number;
      const length = uint(bytes, pos, width);
      pos += width;
      packets.push({ tag, spans: [body(bytes, pos, length)], at: pos });
      pos += length;
      continue;
    }
    const tag = first & 0x3f;
    const spans: Span[] = [];
    const at = pos;
    for (;;) {
      const o1 = uint(bytes, pos, 1);
      let length: number;
      if (o1 < 192) {
        length = o1;
        pos += 1;
      } else if (o1 < 224) {
        length = ((o1 - 192) << 8) + uint(bytes, pos + 1, 1) + 192;
        pos += 2;
      } else if (o1 === 255) {
        length = uint(bytes, pos + 1, 4);
        pos += 5;
      } else {
        if (![8, 9, 11, 18, 20].includes(tag)) bad(`packet ${tag}: partial length not allowed`);
        length = 2 ** (o1 & 0x1f);
        pos += 1;
        spans.push(body(bytes, pos, length));
        pos += length;
        continue;
      }
      spans.push(body(bytes, pos, length));
      pos += length;
      break;
    }
    packets.push({ tag, spans, at: spans[0]?.[0] ?? at });
  }
  return packets;
}

function body(bytes: Uint8Array, start: number, length: number): Span {
  if (start + length > bytes.length) bad(`truncated packet body at ${start} (${length} bytes)`);
  return [start, start + length];
}

/** The single span of a packet that may not have partial lengths. */
export function whole(packet: RawPacket): Span {
  if (packet.spans.length !== 1) bad(`packet ${packet.tag}: partial body lengths`);
  return packet.spans[0] as Span;
}

/**
 * Checks a marker packet (tag 10), which a reader ignores (RFC 9580 5.8) but whose body is the
 * three octets "PGP": gpg stops reading at any other ("invalid marker packet"), so the packets
 * after it are not read there, and a verdict here must not rest on them either.
 */
export function checkMarker(bytes: Uint8Array, packet: RawPacket): void {
  const [start, end] = whole(packet);
  const pgp = end - start === 3 && bytes[start] === 0x50 && bytes[start + 1] === 0x47;
  if (!pgp || bytes[start + 2] !== 0x50) bad('invalid marker packet (its body is not "PGP")');
}
