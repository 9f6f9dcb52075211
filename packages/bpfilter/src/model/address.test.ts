import { describe, expect, it } from 'vitest';
import { formatCidr, maskOf, parseCidr, prefixLength } from './address.js';

describe('addresses', () => {
  it('parses prefixes, dotted masks and bare hosts', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ address: 0x0a000000, mask: 0xff000000 });
    expect(parseCidr('10.0.5.0/255.0.255.0')).toEqual({ address: 0x0a000500, mask: 0xff00ff00 });
    expect(parseCidr('192.0.2.1')).toEqual({ address: 0xc0000201, mask: 0xffffffff });
    expect(parseCidr('0.0.0.0/0')).toEqual({ address: 0, mask: 0 });
    expect(() => parseCidr('1.2.3/8')).toThrow(RangeError);
  });
  it('formats like iptables-save', () => {
    expect(formatCidr(0xc0000201, 0xffffffff)).toBe('192.0.2.1/32');
    expect(formatCidr(0x0a000500, 0xff00ff00)).toBe('10.0.5.0/255.0.255.0');
    expect(prefixLength(0xffffff00)).toBe(24);
    expect(prefixLength(0xff00ff00)).toBeUndefined();
    expect(maskOf(0)).toBe(0);
    expect(maskOf(32)).toBe(0xffffffff);
  });
});
