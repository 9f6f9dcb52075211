import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isUmdError } from '../errors/umd-error.js';
import { FRAME_HEADER_SIZE, FrameType } from './constants.js';
import { encodeFrame } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { decodeHello, encodeHello } from './hello.js';

const fromHex = (text: string) =>
  Uint8Array.from(text.split(' ').map((byte) => Number.parseInt(byte, 16)));

/** Splits `bytes` at the given cut points (sorted, deduplicated, in range). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.byteLength + 1)))].sort(
    (a, b) => a - b,
  );
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of [...points, bytes.byteLength]) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  return chunks;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function decodeAll(chunks: Uint8Array[], maxPayload?: number) {
  const decoder = new FrameDecoder({ maxPayload });
  const frames = chunks.flatMap((chunk) => decoder.push(chunk));
  return { frames, decoder };
}

const frameArbitrary = fc.record({
  type: fc.constantFrom(
    FrameType.Hello,
    FrameType.Request,
    FrameType.Reply,
    FrameType.Error,
    FrameType.Cancel,
  ),
  id: fc.nat({ max: 0xffff_ffff }),
  payload: fc.uint8Array({ maxLength: 300 }),
});

describe('wire-format.md test vectors', () => {
  it('decodes and encodes the HELLO of "echo" accepting 1 MiB', () => {
    const bytes = fromHex(
      '55 4D 44 31 01 00 00 00 00 00 00 00 0C 00 00 00 01 00 00 00 00 00 10 00 65 63 68 6F',
    );
    const [frame] = new FrameDecoder().push(bytes);
    expect(frame?.type).toBe(FrameType.Hello);
    expect(frame?.id).toBe(0);
    expect(decodeHello(frame!.payload)).toEqual({
      version: 1,
      maxPayload: 1024 * 1024,
      name: 'echo',
    });
    expect(
      encodeFrame(
        FrameType.Hello,
        0,
        encodeHello({ version: 1, maxPayload: 1 << 20, name: 'echo' }),
      ),
    ).toEqual(bytes);
  });

  it('decodes and encodes the REQUEST with id 7 and payload "abc"', () => {
    const bytes = fromHex('55 4D 44 31 02 00 00 00 07 00 00 00 03 00 00 00 61 62 63');
    expect(new FrameDecoder().push(bytes)).toEqual([
      { type: FrameType.Request, id: 7, payload: fromHex('61 62 63') },
    ]);
    expect(encodeFrame(FrameType.Request, 7, fromHex('61 62 63'))).toEqual(bytes);
  });
});

describe('FrameDecoder splits', () => {
  it('decodes the same frames whatever the split of the stream', () => {
    fc.assert(
      fc.property(
        fc.array(frameArbitrary, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const stream = concat(
            frames.map((frame) => encodeFrame(frame.type, frame.id, frame.payload)),
          );
          const { frames: decoded, decoder } = decodeAll(split(stream, cuts));
          expect(decoded).toEqual(frames);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes 1-byte chunks', () => {
    fc.assert(
      fc.property(fc.array(frameArbitrary, { maxLength: 5 }), (frames) => {
        const stream = concat(
          frames.map((frame) => encodeFrame(frame.type, frame.id, frame.payload)),
        );
        const chunks = Array.from(stream, (byte) => Uint8Array.of(byte));
        expect(decodeAll(chunks).frames).toEqual(frames);
      }),
      { numRuns: 100 },
    );
  });

  it('decodes one frame split across hundreds of chunks, reusing the pushed buffer', () => {
    const payload = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0xff);
    const stream = encodeFrame(FrameType.Reply, 42, payload);
    const decoder = new FrameDecoder();
    const scratch = new Uint8Array(503);
    const frames = [];
    for (let offset = 0; offset < stream.byteLength; offset += scratch.byteLength) {
      const piece = stream.subarray(offset, offset + scratch.byteLength);
      scratch.set(piece);
      frames.push(...decoder.push(scratch.subarray(0, piece.byteLength)));
      scratch.fill(0xee); // the decoder must not keep references to pushed chunks
    }
    expect(frames).toHaveLength(1);
    expect(frames[0]!.id).toBe(42);
    expect(Buffer.from(frames[0]!.payload).equals(payload)).toBe(true);
  });

  it('decodes many frames from one chunk', () => {
    const frames = Array.from({ length: 1000 }, (_, i) => ({
      type: FrameType.Reply,
      id: i + 1,
      payload: Uint8Array.of(i & 0xff, 1, 2),
    }));
    const stream = concat(frames.map((frame) => encodeFrame(frame.type, frame.id, frame.payload)));
    expect(new FrameDecoder().push(stream)).toEqual(frames);
  });

  it('reports bytes of an incomplete frame as buffered', () => {
    const decoder = new FrameDecoder();
    expect(
      decoder.push(encodeFrame(FrameType.Reply, 1, new Uint8Array(10)).subarray(0, 20)),
    ).toEqual([]);
    expect(decoder.bufferedBytes).toBe(20);
  });

  it('lets a reader fill a payload directly through payloadTarget/commitPayload', () => {
    const payload = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const decoder = new FrameDecoder();
    expect(
      decoder.push(encodeFrame(FrameType.Reply, 9, payload).subarray(0, FRAME_HEADER_SIZE + 10)),
    ).toEqual([]);
    const target = decoder.payloadTarget()!;
    expect(target.byteLength).toBe(990);
    target.set(payload.subarray(10, 500));
    expect(decoder.commitPayload(490)).toBeUndefined();
    decoder.payloadTarget()!.set(payload.subarray(500));
    expect(decoder.commitPayload(500)).toEqual({ type: FrameType.Reply, id: 9, payload });
    expect(decoder.payloadTarget()).toBeUndefined();
  });
});

describe('FrameDecoder malformed headers', () => {
  const valid = () => encodeFrame(FrameType.Reply, 3, Uint8Array.of(1, 2, 3));
  const cases: Array<[string, (bytes: Uint8Array) => void, RegExp]> = [
    ['bad magic', (bytes) => (bytes[0] = 0x56), /bad magic bytes 56 4d 44 31/],
    ['unknown type 0', (bytes) => (bytes[4] = 0), /unknown frame type 0/],
    ['unknown type 6', (bytes) => (bytes[4] = 6), /unknown frame type 6/],
    ['non-zero flags', (bytes) => (bytes[5] = 0x80), /non-zero flags 0x80/],
    ['non-zero reserved', (bytes) => (bytes[7] = 1), /non-zero reserved field 0x0100/],
  ];
  for (const [name, corrupt, message] of cases) {
    it(`refuses ${name} with UMD_PROTOCOL naming it, in any split`, () => {
      for (const chunkSize of [1, 5, 16, 100]) {
        const bytes = valid();
        corrupt(bytes);
        const decoder = new FrameDecoder();
        let error: unknown;
        try {
          for (let offset = 0; offset < bytes.byteLength; offset += chunkSize)
            decoder.push(bytes.subarray(offset, offset + chunkSize));
        } catch (caught) {
          error = caught;
        }
        expect(isUmdError(error, 'UMD_PROTOCOL')).toBe(true);
        expect((error as Error).message).toMatch(message);
        // It stays failed.
        expect(() => decoder.push(valid())).toThrow(message);
      }
    });
  }

  it('refuses a length over the maximum from the header alone, before any payload byte', () => {
    const decoder = new FrameDecoder({ maxPayload: 1000 });
    const header = encodeFrame(FrameType.Reply, 5, new Uint8Array(1001)).subarray(
      0,
      FRAME_HEADER_SIZE,
    );
    expect(() => decoder.push(header)).toThrow(
      /payload length 1001 of REPLY frame 5 exceeds the maximum of 1000 bytes/,
    );
    expect(decoder.bufferedBytes).toBe(0);
    expect(
      new FrameDecoder({ maxPayload: 1000 }).push(
        encodeFrame(FrameType.Reply, 5, new Uint8Array(1000)),
      ),
    ).toHaveLength(1);
  });

  it('refuses a 4 GiB - 1 length under the default limit without allocating it', () => {
    const header = encodeFrame(FrameType.Request, 1, new Uint8Array(0));
    new DataView(header.buffer).setUint32(12, 0xffff_ffff, true);
    expect(() => new FrameDecoder().push(header)).toThrow(/exceeds the maximum of 67108864/);
  });

  it('delivers nothing from garbage and names the garbage', () => {
    const garbage = new TextEncoder().encode('hello world, this is not a frame');
    expect(() => new FrameDecoder().push(garbage)).toThrow(/bad magic bytes 68 65 6c 6c/);
  });
});
