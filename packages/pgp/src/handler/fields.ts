/** Key material and signature values (RFC 9580 sections 5.2.3 and 5.5.5) as stored fields. */
import type { Field } from '../contract.js';
import { bad } from './bad.js';
import { uint } from './packets.js';

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

/** A cursor over a packet body. */
export class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  u(width: number): number {
    if (this.pos + width > this.end) bad(`truncated field at ${this.pos}`);
    const value = uint(this.bytes, this.pos, width);
    this.pos += width;
    return value;
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.end) bad(`truncated field at ${this.pos} (${length} bytes)`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  get left(): number {
    return this.end - this.pos;
  }
}

/** The shapes of fields, by letter: m MPI, o OID, s short (1-byte length), rN N raw bytes, * the rest. */
export function readFields(cursor: Cursor, shape: string[]): Field[] {
  return shape.map((kind): Field => {
    if (kind === 'm') {
      const bits = cursor.u(2);
      const data = cursor.take(Math.ceil(bits / 8));
      // The bit count must be exact: the host re-encodes it and refuses any other.
      const top = data[0] ?? 0;
      if (data.length > 0 && 32 - Math.clz32(top) !== ((bits - 1) % 8) + 1)
        bad('MPI bit count does not match its value');
      return { mpi: { bits, data: b64(data) } };
    }
    if (kind === 'o' || kind === 's') {
      const length = cursor.u(1);
      if (kind === 'o' && (length === 0 || length === 0xff)) bad('reserved OID length');
      const data = b64(cursor.take(length));
      return kind === 'o' ? { oid: data } : { short: data };
    }
    if (kind === '*') return { raw: b64(cursor.take(cursor.left)) };
    return { raw: b64(cursor.take(Number(kind.slice(1)))) };
  });
}

/** Shapes of public key material by algorithm. */
export function keyShape(algorithm: number): string[] {
  switch (algorithm) {
    case 1:
    case 2:
    case 3:
      return ['m', 'm'];
    case 16:
    case 20:
      return ['m', 'm', 'm'];
    case 17:
      return ['m', 'm', 'm', 'm'];
    case 18:
      return ['o', 'm', 's'];
    case 19:
    case 22:
      return ['o', 'm'];
    case 25:
    case 27:
      return ['r32'];
    case 26:
      return ['r56'];
    case 28:
      return ['r57'];
    default:
      return ['*'];
  }
}

/** Shapes of signature values by algorithm. */
export function signatureShape(algorithm: number): string[] {
  switch (algorithm) {
    case 1:
    case 3:
      return ['m'];
    case 17:
    case 19:
    case 22:
      return ['m', 'm'];
    case 27:
      return ['r64'];
    case 28:
      return ['r114'];
    default:
      return ['*'];
  }
}

export { b64 };
