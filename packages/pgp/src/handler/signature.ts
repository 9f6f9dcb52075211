/** Signature packets, versions 4 and 6 (RFC 9580 section 5.2.3), and their subpackets. */
import type { SignaturePacket, Subpacket } from '../contract.js';
import { bad } from './bad.js';
import { b64, Cursor, readFields, signatureShape } from './fields.js';

/** Parses the signature packet body at `[start, end)` of `bytes`, located in `block`. */
export function parseSignature(
  bytes: Uint8Array,
  start: number,
  end: number,
  block: number,
  depth = 0,
): SignaturePacket {
  const c = new Cursor(bytes, start, end);
  const version = c.u(1);
  if (version !== 4 && version !== 6) bad(`signature version ${version} is not supported`);
  const width = version === 6 ? 4 : 2;
  const type = c.u(1);
  const pkAlgorithm = c.u(1);
  const hashAlgorithm = c.u(1);
  const hashed = subpackets(c, c.u(width), depth);
  const unhashed = subpackets(c, c.u(width), depth);
  const left16 = b64(c.take(2));
  const salt = version === 6 ? b64(c.take(c.u(1))) : undefined;
  const values = readFields(c, signatureShape(pkAlgorithm));
  if (c.left !== 0) bad(`signature: ${c.left} bytes after the values`);
  const sig: SignaturePacket = {
    block,
    at: depth === 0 ? start : -1,
    version,
    type,
    pkAlgorithm,
    hashAlgorithm,
    hashed,
    unhashed,
    left16,
    values,
  };
  if (salt !== undefined) sig.salt = salt;
  return sig;
}

function subpackets(outer: Cursor, length: number, depth: number): Subpacket[] {
  const c = new Cursor(outer.bytes, outer.pos, outer.pos + length);
  if (c.end > outer.end) bad('signature: subpacket area runs past the packet');
  const list: Subpacket[] = [];
  while (c.left > 0) {
    const o1 = c.u(1);
    let size: number;
    let lengthBytes: 1 | 2 | 5;
    if (o1 < 192) {
      size = o1;
      lengthBytes = 1;
    } else if (o1 < 255) {
      size = ((o1 - 192) << 8) + c.u(1) + 192;
      lengthBytes = 2;
    } else {
      size = c.u(4);
      lengthBytes = 5;
    }
    if (size < 1) bad('signature: empty subpacket');
    const type = c.u(1);
    const dataStart = c.pos;
    const data = c.take(size - 1);
    const sub: Subpacket = { lengthBytes, type, data: b64(data) };
    if ((type & 0x7f) === 32) {
      if (depth > 0) bad('signature: embedded signature inside an embedded signature');
      sub.embedded = parseSignature(outer.bytes, dataStart, dataStart + size - 1, -1, depth + 1);
    }
    list.push(sub);
  }
  outer.pos = c.end;
  return list;
}
