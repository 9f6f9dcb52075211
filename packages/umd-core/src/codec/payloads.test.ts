import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeErrorPayload, encodeErrorPayload } from './error-payload.js';
import { decodeHello, encodeHello } from './hello.js';
import { encodeFrame } from './frame.js';
import { FrameType } from './constants.js';

describe('HELLO payload', () => {
  it('round-trips any name and limit', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat({ max: 0xffff_ffff }), (name, maxPayload) => {
        expect(decodeHello(encodeHello({ version: 1, maxPayload, name }))).toEqual({
          version: 1,
          maxPayload,
          name,
        });
      }),
    );
  });
  it('refuses short payloads, other versions, reserved bits and bad UTF-8 with UMD_PROTOCOL', () => {
    expect(() => decodeHello(new Uint8Array(7))).toThrow(
      expect.objectContaining({ code: 'UMD_PROTOCOL', message: expect.stringMatching(/shorter/) }),
    );
    expect(() => decodeHello(encodeHello({ version: 2, maxPayload: 1, name: 'x' }))).toThrow(
      /version 2/,
    );
    const reserved = encodeHello({ version: 1, maxPayload: 1, name: 'x' });
    reserved[2] = 1;
    expect(() => decodeHello(reserved)).toThrow(/reserved/);
    expect(() => decodeHello(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0xff))).toThrow(/UTF-8/);
  });
});

describe('ERROR payload', () => {
  it('round-trips any i32 code and message', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
        fc.string(),
        (code, message) => {
          expect(decodeErrorPayload(encodeErrorPayload(code, message))).toEqual({ code, message });
        },
      ),
    );
  });
  it('is an i32 little-endian then UTF-8', () => {
    expect(encodeErrorPayload(-22, 'no')).toEqual(
      Uint8Array.of(0xea, 0xff, 0xff, 0xff, 0x6e, 0x6f),
    );
  });
  it('refuses a payload shorter than the code', () => {
    expect(() => decodeErrorPayload(new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'UMD_PROTOCOL' }),
    );
  });
});

describe('encodeFrame', () => {
  it('refuses ids and types that do not fit, with typed errors', () => {
    expect(() => encodeFrame(FrameType.Request, -1)).toThrow(
      expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
    );
    expect(() => encodeFrame(FrameType.Request, 2 ** 32)).toThrow(
      expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }),
    );
    expect(() => encodeFrame(9 as FrameType, 1)).toThrow(/unknown frame type 9/);
  });
});
