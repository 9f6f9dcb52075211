import { describe, expect, it } from 'vitest';
import { sameBytes } from './same-bytes.js';

describe('sameBytes', () => {
  it('compares the bytes of views, whatever their offsets in their buffers', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9, 1, 2, 3]);
    expect(sameBytes(backing.subarray(1, 4), backing.subarray(5, 8))).toBe(true);
    expect(sameBytes(backing.subarray(1, 4), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(sameBytes(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });

  it('tells a byte that differs, and a prefix from the whole', () => {
    const a = new Uint8Array(1 << 20).fill(7);
    const b = new Uint8Array(1 << 20).fill(7);
    b[(1 << 20) - 1] = 8;
    expect(sameBytes(a, b)).toBe(false);
    expect(sameBytes(a.subarray(0, 3), a.subarray(0, 4))).toBe(false);
    expect(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
  });
});
