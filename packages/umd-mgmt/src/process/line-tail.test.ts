import { describe, expect, it } from 'vitest';
import { LineTail } from './line-tail.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('LineTail', () => {
  it('splits lines across chunks and keeps the last N', () => {
    const tail = new LineTail(2);
    expect(tail.push(bytes('one\ntw'))).toEqual(['one']);
    expect(tail.push(bytes('o\r\nthree\n'))).toEqual(['two', 'three']);
    expect(tail.lines()).toEqual(['two', 'three']);
    expect(tail.push(bytes('four'))).toEqual([]);
    expect(tail.lines()).toEqual(['three', 'four']);
    expect(tail.end()).toBe('four');
    expect(tail.lines()).toEqual(['three', 'four']);
  });

  it('decodes UTF-8 split inside a character and clips long lines', () => {
    const tail = new LineTail(4, 5);
    const euro = bytes('€\n');
    tail.push(euro.subarray(0, 1));
    expect(tail.push(euro.subarray(1))).toEqual(['€']);
    expect(tail.push(bytes('abcdefgh\n'))).toEqual(['abcde…']);
  });
});
