import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  encodeReply,
  encodeRequest,
  offsetProblem,
  REPLY_SIZE,
  REQUEST_SIZE,
  replyProblem,
  SampleContract,
} from './contract.js';

describe('request', () => {
  it('is one little-endian u32', () => {
    expect([...encodeRequest(0x00010203)]).toEqual([3, 2, 1, 0]);
    expect(encodeRequest(0x1fffe).length).toBe(REQUEST_SIZE);
  });

  it('round-trips every valid offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: REPLY_SIZE - 1 }), (offset) => {
        expect(decodeRequest(encodeRequest(offset))).toEqual({ ok: true, offset });
      }),
    );
  });

  it('refuses offsets outside 0..131071', () => {
    expect(offsetProblem(REPLY_SIZE)).toMatch(/out of range/);
    expect(offsetProblem(-1)).toMatch(/negative/);
    expect(offsetProblem(1.5)).toMatch(/not an integer/);
    expect(offsetProblem(Number.NaN)).toMatch(/not an integer/);
    expect(offsetProblem(REPLY_SIZE - 1)).toBeUndefined();
    expect(() => encodeRequest(REPLY_SIZE)).toThrow(RangeError);
  });

  it('decodes wrong lengths and large offsets as problems, never as offsets', () => {
    expect(decodeRequest(new Uint8Array(3))).toEqual({
      ok: false,
      problem: 'request is 3 bytes, expected 4',
    });
    expect(decodeRequest(new Uint8Array(5)).ok).toBe(false);
    expect(decodeRequest(Uint8Array.of(0, 0, 2, 0))).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/131072/),
    });
    expect(decodeRequest(Uint8Array.of(255, 255, 255, 255)).ok).toBe(false);
  });

  it('decodes a request that sits inside a larger buffer', () => {
    const backing = new Uint8Array(16);
    backing.set(encodeRequest(4096), 5);
    expect(decodeRequest(backing.subarray(5, 9))).toEqual({ ok: true, offset: 4096 });
  });
});

describe('reply', () => {
  it('is 128 KiB of zeros with byte offset set', () => {
    const reply = encodeReply(1024);
    expect(reply.length).toBe(131072);
    expect(reply[1024]).toBe(1);
    expect(reply.reduce((sum, b) => sum + b, 0)).toBe(1);
    expect(replyProblem(1024, reply)).toBeUndefined();
  });

  it('is checked for length, the set byte and every other byte', () => {
    expect(replyProblem(0, new Uint8Array(REPLY_SIZE - 1))).toMatch(/131071 bytes/);
    expect(replyProblem(0, new Uint8Array(REPLY_SIZE))).toMatch(/byte 0 is 0, expected 1/);
    const stray = encodeReply(7);
    stray[REPLY_SIZE - 1] = 9;
    expect(replyProblem(7, stray)).toMatch(/byte 131071 is 9, expected 0/);
    expect(replyProblem(8, encodeReply(7))).toMatch(/byte 8 is 0/);
  });
});

describe('the typed contract', () => {
  it('carries an offset as a u32 and refuses what the handler must not get', () => {
    const bytes = SampleContract.encodeRequest(4096) as Uint8Array;
    expect([...bytes]).toEqual([...encodeRequest(4096)]);
    expect(SampleContract.decodeRequest(bytes)).toBe(4096);
    expect(() => SampleContract.encodeRequest(REPLY_SIZE)).toThrow(/out of range/);
    expect(() => SampleContract.decodeRequest(new Uint8Array(3))).toThrow(/3 bytes, expected 4/);
  });

  it('carries the reply as bytes', () => {
    const reply = encodeReply(7);
    expect(SampleContract.decodeReply(SampleContract.encodeReply(reply) as Uint8Array)).toBe(reply);
  });
});
