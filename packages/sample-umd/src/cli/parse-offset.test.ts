import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REPLY_SIZE } from '../contract.js';
import { MAX_OFFSET_TEXT, parseOffset } from './parse-offset.js';

describe('parseOffset', () => {
  it('accepts decimal and 0x hexadecimal offsets, with blanks around', () => {
    expect(parseOffset('0')).toEqual({ ok: true, offset: 0 });
    expect(parseOffset(' 4096\r')).toEqual({ ok: true, offset: 4096 });
    expect(parseOffset('0x1fFFf')).toEqual({ ok: true, offset: REPLY_SIZE - 1 });
    expect(parseOffset('000012')).toEqual({ ok: true, offset: 12 });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['abc', 'not-a-number'],
    ['12abc', 'not-a-number'],
    ['1.5', 'not-a-number'],
    ['1e3', 'not-a-number'],
    ['+5', 'not-a-number'],
    ['0x', 'not-a-number'],
    ['1 2', 'not-a-number'],
    ['Infinity', 'not-a-number'],
    ['-1', 'negative'],
    ['-0x10', 'negative'],
    ['131072', 'out-of-range'],
    ['0x20000', 'out-of-range'],
    ['99999999999999999999999', 'out-of-range'],
    ['1'.repeat(MAX_OFFSET_TEXT + 1), 'too-long'],
  ])('refuses %j as %s, with a message', (input, problem) => {
    const parsed = parseOffset(input);
    expect(parsed).toMatchObject({ ok: false, problem });
    if (!parsed.ok) expect(parsed.message.length).toBeGreaterThan(10);
  });

  it('never yields an offset outside the contract, whatever the input', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (input) => {
        const parsed = parseOffset(input);
        if (parsed.ok)
          expect(
            Number.isInteger(parsed.offset) && parsed.offset >= 0 && parsed.offset < REPLY_SIZE,
          ).toBe(true);
      }),
    );
  });
});
