import { describe, expect, it } from 'vitest';
import { attr, expr, filterBatch as batchOf, nest } from './netlink-bytes.testing.js';

/** The attributes of a load of `len` bytes at `offset` of the `ip` header into register 1. */
function networkLoad(offset: number, len: number): Buffer {
  const u32 = (type: number, value: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(8, 0);
    b.writeUInt16LE(type, 2);
    b.writeUInt32BE(value, 4);
    return b;
  };
  return Buffer.concat([u32(1, 1), u32(2, 1), u32(3, offset), u32(4, len)]);
}

// `cmp eq reg 1` with the 8 bytes 10.0.91.1, 192.0.2.91 (NFTA_CMP_DATA holding a value).
const COMPARE_PAIR = Buffer.from(
  '08000100000000010800020000000000' + '10000380' + '0c000100' + '0a005b01c000025b',
  'hex',
);

describe('address matches in the netlink batch', () => {
  it('-s A/32 -d B/32, neither inverted: one load of both addresses and one compare', () => {
    const bytes = batchOf('-A INPUT -s 10.0.91.1/32 -d 192.0.2.91/32 -j ACCEPT');
    expect(bytes.indexOf(networkLoad(12, 8))).toBeGreaterThan(0);
    expect(bytes.indexOf(COMPARE_PAIR)).toBeGreaterThan(0);
    expect(bytes.indexOf(networkLoad(12, 4))).toBe(-1);
    expect(bytes.indexOf(networkLoad(16, 4))).toBe(-1);
  });

  it('a prefix, an inverted address or one address alone keeps a load and a compare each', () => {
    for (const addresses of [
      '-s 10.0.91.0/24 -d 192.0.2.91/32',
      '-s 10.0.91.1/32 -d 192.0.2.0/25',
      '! -s 10.0.91.1/32 -d 192.0.2.91/32',
      '-s 10.0.91.1/32 ! -d 192.0.2.91/32',
    ]) {
      const bytes = batchOf(`-A INPUT ${addresses} -j ACCEPT`);
      expect(bytes.indexOf(networkLoad(12, 8)), addresses).toBe(-1);
      expect(bytes.indexOf(networkLoad(16, 4)), addresses).toBeGreaterThan(0);
    }
    expect(
      batchOf('-A INPUT -s 10.0.91.1/32 -j ACCEPT').indexOf(networkLoad(12, 4)),
    ).toBeGreaterThan(0);
  });
});

describe('counters in the netlink batch', () => {
  // `nft --debug=mnl` showed nft 1.0.6 send `counter` as its name and an empty
  // NFTA_EXPR_DATA: a counter without bytes and packets starts from 0.
  it("a rule's counter and a counted map's are nft's: no bytes or packets attribute", () => {
    const bytes = batchOf('-A INPUT -s 10.0.91.1/32 -j ACCEPT');
    const counter = expr('counter');
    const zeros = nest(2, attr(1, Buffer.alloc(8)), attr(2, Buffer.alloc(8)));
    expect(bytes.indexOf(counter)).toBeGreaterThan(0);
    expect(bytes.indexOf(zeros)).toBe(-1);
    // Enough rules of one shape for a verdict map: its elements' counters are clones of it.
    const many = Array.from(
      { length: 40 },
      (_, i) => `-A INPUT -s 10.1.${i}.1/32 -p tcp -m tcp --dport ${80 + i} -j DROP`,
    );
    const mapped = batchOf(many.join('\n'));
    const template = nest(17, attr(1, Buffer.from('counter\0')), nest(2));
    expect(mapped.indexOf(template)).toBeGreaterThan(0);
    expect(mapped.indexOf(zeros)).toBe(-1);
  });
});
