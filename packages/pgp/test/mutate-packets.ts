/**
 * Structure-aware mutations for the fuzz tests: byte flips almost never reach the packets
 * and encodings that gpg handles specially (another header format or length encoding, partial
 * lengths, marker, trust and user attribute packets, unknown critical subpackets, signature
 * versions, armor headers, CRC and trailing text), because any byte flip that touches a
 * header or a hashed byte is refused or bad. These keep the rest of the input intact.
 */
import { crc24 as armorCrc24 } from '../src/handler/armor.js';

/** One packet: its tag, its body, and the packet as framed in the input. */
interface Packet {
  tag: number;
  body: Buffer;
  framed: Buffer;
}

/** Splits `bytes` into packets, or undefined where its framing is not plain (it was mutated). */
function split(bytes: Buffer): Packet[] | undefined {
  const packets: Packet[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const first = bytes[pos] as number;
    if ((first & 0x80) === 0) return undefined;
    let tag: number;
    let length: number;
    if (first & 0x40) {
      tag = first & 0x3f;
      const o1 = bytes[pos + 1] ?? 0;
      if (o1 < 192) [length, pos] = [o1, pos + 2];
      else if (o1 < 224) [length, pos] = [((o1 - 192) << 8) + (bytes[pos + 2] ?? 0) + 192, pos + 3];
      else if (o1 === 255 && pos + 6 <= bytes.length)
        [length, pos] = [bytes.readUInt32BE(pos + 2), pos + 6];
      else return undefined;
    } else {
      tag = (first >> 2) & 0x0f;
      const width = [1, 2, 4][first & 3];
      if (!width || pos + 1 + width > bytes.length) return undefined;
      length = bytes.readUIntBE(pos + 1, width);
      pos += 1 + width;
    }
    if (pos + length > bytes.length) return undefined;
    packets.push({
      tag,
      body: bytes.subarray(pos, pos + length),
      framed: bytes.subarray(start, pos + length),
    });
    pos += length;
  }
  return packets;
}

/** The packets of `bytes` as framed there (its framing must be plain). */
export function splitPackets(bytes: Buffer): Buffer[] {
  const packets = split(bytes);
  if (!packets) throw new Error('not a sequence of packets');
  return packets.map((p) => p.framed);
}

/** A packet with a new-format header, its length in `form` octets (1, 2 or 5) where it fits. */
function newFormat(tag: number, body: Buffer, form: number): Buffer {
  const n = body.length;
  let head: number[];
  if (form === 1 && n < 192) head = [n];
  else if (form <= 2 && n < 8384) head = [((n - 192) >> 8) + 192, (n - 192) & 0xff];
  else head = [255, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  if (n < 192 && head.length === 2) head = [n];
  return Buffer.concat([Buffer.from([0xc0 | tag, ...head]), body]);
}

/** A packet with an old-format header (tags below 16), its length in 1, 2 or 4 octets. */
function oldFormat(tag: number, body: Buffer, width: 1 | 2 | 4): Buffer {
  const fits = width === 1 ? body.length < 256 : width === 2 ? body.length < 65536 : true;
  const w = fits ? width : 4;
  const head = Buffer.alloc(1 + w);
  head[0] = 0x80 | (tag << 2) | (w === 1 ? 0 : w === 2 ? 1 : 2);
  head.writeUIntBE(body.length, 1, w);
  return Buffer.concat([head, body]);
}

/** A packet whose body is sent in partial-length chunks of 2^k octets, then a final one. */
function partial(tag: number, body: Buffer, k: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0xc0 | tag])];
  let rest = body;
  while (rest.length > 1 << k) {
    parts.push(Buffer.from([224 + k]), rest.subarray(0, 1 << k));
    rest = rest.subarray(1 << k);
  }
  parts.push(newFormat(tag, rest, 5).subarray(1));
  return Buffer.concat(parts);
}

/** Re-encodes one packet's header: same tag and body, another framing. */
function reframe(p: Packet, r: (n: number) => number): Buffer {
  switch (r(4)) {
    case 0:
      return newFormat(p.tag, p.body, [1, 2, 5][r(3)] as number);
    case 1:
      return p.tag < 16
        ? oldFormat(p.tag, p.body, ([1, 2, 4] as const)[r(3)] as 1 | 2 | 4)
        : newFormat(p.tag, p.body, 5);
    case 2:
      return partial(p.tag, p.body, r(6));
    default:
      // Old format, indeterminate length: only right as the last packet.
      return Buffer.concat([Buffer.from([0x80 | ((p.tag & 0x0f) << 2) | 3]), p.body]);
  }
}

/** Packets gpg reads specially, to put between others. */
function extraPacket(r: (n: number) => number): Buffer {
  const random = (n: number) => Buffer.from(Array.from({ length: n }, () => r(256)));
  switch (r(7)) {
    case 0:
      return newFormat(10, Buffer.from('PGP'), 1);
    case 1:
      return oldFormat(10, r(2) ? Buffer.from('PGQ') : random(r(5)), 1);
    case 2:
      // Trust packet: gpg's keyrings hold them; an export never does.
      return oldFormat(12, random(2), 1);
    case 3: {
      // User attribute: one image subpacket (a JPEG header with nothing after it).
      const image = Buffer.concat([Buffer.from([16, 0, 1, 1]), random(12), random(r(20))]);
      return newFormat(17, Buffer.concat([Buffer.from([image.length + 1, 1]), image]), 1);
    }
    case 4:
      // Padding (RFC 9580 5.14), unknown to GnuPG 2.2.
      return newFormat(21, random(r(32)), 1);
    case 5:
      // A private or reserved tag.
      return newFormat([0, 60, 61, 62, 63][r(5)] as number, random(r(16)), 1);
    default:
      return newFormat(1 + r(20), random(r(40)), 1);
  }
}

/** A subpacket of `type` (bit 7: critical) holding `data`, with a 1-, 2- or 5-octet length. */
export function subpacket(type: number, data: Buffer, form = 1): Buffer {
  const n = data.length + 1;
  let head: number[];
  if (form === 1 && n < 192) head = [n];
  else if (form <= 2 && n >= 192 && n < 8384) head = [((n - 192) >> 8) + 192, (n - 192) & 0xff];
  else head = [255, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return Buffer.concat([Buffer.from([...head, type]), data]);
}

/** A version 4 signature body with its unhashed area replaced by `edit(area)`, or undefined. */
function editUnhashed(body: Buffer, edit: (area: Buffer) => Buffer): Buffer | undefined {
  if (body[0] !== 4 || body.length < 6) return undefined;
  const hashedEnd = 6 + body.readUInt16BE(4);
  if (hashedEnd + 2 > body.length) return undefined;
  const areaEnd = hashedEnd + 2 + body.readUInt16BE(hashedEnd);
  if (areaEnd > body.length) return undefined;
  const area = edit(body.subarray(hashedEnd + 2, areaEnd));
  if (area.length > 0xffff) return undefined;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(area.length);
  return Buffer.concat([body.subarray(0, hashedEnd), length, area, body.subarray(areaEnd)]);
}

/**
 * A binary version 4 signature (one packet) with `sub` first in its unhashed area, where
 * adding it leaves the signature valid.
 */
export function withUnhashedSubpacket(signature: Buffer, sub: Buffer): Buffer {
  const [packet] = split(signature) ?? [];
  const body = packet && editUnhashed(packet.body, (area) => Buffer.concat([sub, area]));
  if (!body) throw new Error('not a binary version 4 signature packet');
  return newFormat(2, body, 2);
}

/**
 * Changes a version 4 signature's unhashed area (the hashed one would only make it bad): adds a
 * subpacket of a random type, critical or not, or flips the critical bit of one already there.
 */
function unhashed(body: Buffer, r: (n: number) => number): Buffer | undefined {
  return editUnhashed(body, (area) => {
    if (r(3) === 0 && area.length > 1) {
      // The type octet of the first subpacket (its length here is one octet as gpg writes).
      const flipped = Buffer.from(area);
      if ((area[0] as number) < 192) flipped[1] = (flipped[1] as number) ^ 0x80;
      return flipped;
    }
    const type = (r(2) ? 0x80 : 0) | ([r(128), 16, 20, 23, 28, 32, 33, 38][r(8)] as number);
    const data = Buffer.from(Array.from({ length: r(12) }, () => r(256)));
    const sub = subpacket(type, data, [1, 2, 5][r(3)] as number);
    return r(2) ? Buffer.concat([area, sub]) : Buffer.concat([sub, area]);
  });
}

/** One structural mutation of binary packets, or undefined where the framing is not plain. */
function mutatePackets(bytes: Buffer, r: (n: number) => number): Buffer | undefined {
  const packets = split(bytes);
  if (!packets || packets.length === 0) return undefined;
  const at = r(packets.length);
  const p = packets[at] as Packet;
  const parts = packets.map((q) => q.framed);
  switch (r(6)) {
    case 0:
      parts[at] = reframe(p, r);
      break;
    case 1:
      parts.splice(r(packets.length + 1), 0, extraPacket(r));
      break;
    case 2: {
      if (p.tag !== 2) return undefined;
      const body = unhashed(p.body, r);
      if (!body) return undefined;
      parts[at] = newFormat(2, body, 2);
      break;
    }
    case 3: {
      // Another signature version (3, 5 or 6 read as 4's layout): gpg skips or refuses these.
      if (p.tag !== 2) return undefined;
      const body = Buffer.from(p.body);
      body[0] = [3, 5, 6, 7][r(4)] as number;
      parts[at] = newFormat(2, body, 2);
      break;
    }
    case 4:
      // A packet twice, or dropped.
      if (r(2)) parts.splice(at, 0, parts[at] as Buffer);
      else parts.splice(at, 1);
      break;
    default:
      // Trailing bytes: garbage, zeros, or a newline as a text editor would leave.
      parts.push(
        [Buffer.from('\n'), Buffer.alloc(1 + r(4)), Buffer.from([r(256), r(256)])][r(3)] as Buffer,
      );
  }
  return Buffer.concat(parts);
}

/** Where an armored input's base64 body and checksum are, or undefined if it is not armored. */
function armorParts(text: string) {
  const m =
    /^(-----BEGIN PGP [A-Z ]+-----\r?\n)((?:[^\n]*: [^\n]*\r?\n)*)\r?\n([A-Za-z0-9+/=\r\n]*?)(=[A-Za-z0-9+/]{4}\r?\n)?(-----END PGP [A-Z ]+-----\r?\n?)([\s\S]*)$/.exec(
      text,
    );
  if (!m) return undefined;
  const [, begin, headers, body, crc, end, after] = m as unknown as string[];
  return { begin, headers, body, crc, end, after } as Record<string, string>;
}

/** The CRC-24 of RFC 9580 6.1, as armor writes it (its line). */
export function crc24(data: Buffer): string {
  return `=${Buffer.from(armorCrc24(data)).toString('base64')}\n`;
}

/** Base64 in lines of `width` characters. */
function lines(data: Buffer, width: number): string {
  return `${(data.toString('base64').match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join('\n')}\n`;
}

/** One armor-level mutation, or a packet mutation inside the armor (re-armored with a fresh CRC). */
function mutateArmored(input: Buffer, r: (n: number) => number): Buffer | undefined {
  const a = armorParts(input.toString('latin1'));
  if (!a) return undefined;
  const data = Buffer.from(a.body as string, 'base64');
  let inner: Buffer = data;
  let crc = a.crc ?? '';
  let headers = a.headers as string;
  let after = a.after as string;
  let before = '';
  switch (r(6)) {
    case 0:
      crc = r(2) ? '' : crc24(Buffer.concat([data, Buffer.from([1])]));
      break;
    case 1:
      headers += [
        'Comment: fuzz\n',
        'Version: x\n',
        'Hash: SHA256\n',
        'Charset: UTF-8\n',
        'X-Unknown: y\n',
        'NoColon\n',
      ][r(6)];
      break;
    case 2:
      [before, after] = r(2)
        ? ['some text before\n', after]
        : [
            '',
            after +
              ['trailing text\n', '\n\n', a.begin as string, '-----END PGP SIGNATURE-----\n'][r(4)],
          ];
      break;
    default: {
      const mutated = mutatePackets(data, r);
      if (!mutated) return undefined;
      inner = mutated;
      crc = r(4) === 0 ? '' : crc24(inner);
    }
  }
  const body = lines(inner, [64, 76, 4, 1000][r(4)] as number);
  return Buffer.from(`${before + a.begin + headers}\n${body}${crc}${a.end}${after}`, 'latin1');
}

/** One structure-aware mutation of `input` (binary or armored), or undefined if none applies. */
export function mutateStructure(input: Buffer, r: (n: number) => number): Buffer | undefined {
  if (input.subarray(0, 11).toString('latin1') === '-----BEGIN ') return mutateArmored(input, r);
  return mutatePackets(input, r);
}
