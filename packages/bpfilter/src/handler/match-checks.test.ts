import { describe, expect, it } from 'vitest';
import { Errno } from '../abi/index.js';
import type { CheckContext } from './extension-spec.js';
import { checkLimit, checkMultiport, checkOwner } from './match-checks.js';

function context(...u32s: number[]): CheckContext {
  const data = new Uint8Array(40);
  const view = new DataView(data.buffer);
  u32s.forEach((value, i) => view.setUint32(4 * i, value, true));
  return { data } as CheckContext;
}

describe('limit_mt_check', () => {
  it('refuses burst 0 and an avg * burst that overflows (ERANGE), as the kernel does', () => {
    expect(checkLimit(context(10000, 0))).toEqual({
      errno: Errno.ERANGE,
      message: expect.any(String),
    });
    expect(checkLimit(context(2 ** 31, 2))).toMatchObject({ errno: Errno.ERANGE });
    expect(checkLimit(context(0x80000001, 2))).toMatchObject({ errno: Errno.ERANGE });
    // The product wraps to 0xfffffffd, whose credits equal 0xffffffff's: accepted.
    expect(checkLimit(context(0xffffffff, 3))).toBeUndefined();
    expect(checkLimit(context(0xffffffff, 1))).toBeUndefined();
    expect(checkLimit(context(0, 5))).toBeUndefined();
    expect(checkLimit(context(3333, 5))).toBeUndefined();
  });
});

describe('owner_check', () => {
  const owner = (uid: [number, number], gid: [number, number], match: number) => {
    const ctx = context(...uid, ...gid);
    ctx.data[16] = match;
    return checkOwner(ctx);
  };
  it('refuses unknown flags, an id of -1 and a range whose max is below its min', () => {
    expect(owner([0, 0], [0, 0], 0x10)).toBeTypeOf('string');
    expect(owner([10, 5], [0, 0], 1)).toBeTypeOf('string');
    expect(owner([0, 0], [0, 0xffffffff], 2)).toBeTypeOf('string');
    expect(owner([0xffffffff, 0xffffffff], [0, 0], 1)).toBeTypeOf('string');
  });
  it('accepts valid ranges, and ids it does not test', () => {
    expect(owner([1000, 1000], [0, 10], 3)).toBeUndefined();
    expect(owner([10, 5], [0, 0], 2)).toBeUndefined();
    expect(owner([0, 0], [0, 0], 0xc)).toBeUndefined();
  });
});

describe('multiport_mt_check', () => {
  /** xt_multiport_v1 for -p tcp: `ports`, with the indexes in `starts` flagged as range starts. */
  const multiport = (ports: number[], starts: number[] = []) => {
    const data = new Uint8Array(48);
    const view = new DataView(data.buffer);
    data[0] = 1; // destination
    data[1] = ports.length;
    ports.forEach((port, i) => view.setUint16(2 + 2 * i, port, true));
    for (const i of starts) data[32 + i] = 1;
    return checkMultiport({ proto: 6, invflags: 0, data, revision: 1 } as CheckContext);
  };
  it('accepts ports and ranges as iptables writes them, and no ports at all', () => {
    expect(multiport([80, 443, 8000, 8080], [2])).toBeUndefined();
    expect(multiport([1, 1], [0])).toBeUndefined();
    expect(multiport([])).toBeUndefined();
  });
  it('refuses a range without its end, one whose end is flagged, and an upside-down one', () => {
    expect(multiport([80, 443], [1])).toBeTypeOf('string');
    expect(multiport([80, 90, 100], [0, 1])).toBeTypeOf('string');
    expect(multiport([90, 80], [0])).toBeTypeOf('string');
  });
});
