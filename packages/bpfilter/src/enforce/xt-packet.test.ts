/**
 * The packet extensions are read from a SET_REPLACE before the handler checked it: malformed
 * data (short, another revision, out of range) must give a typed refusal or the kernel's
 * meaning, never a rule that matches other packets.
 */
import { describe, expect, it } from 'vitest';
import { UntranslatableError } from './errors.js';
import {
  classifyOf,
  connmarkTargetOf,
  dscpOf,
  dscpTargetOf,
  lengthOf,
  limitOf,
  nflogOf,
  ownerOf,
  pkttypeOf,
  statisticOf,
  tcpmssOf,
  tosOf,
  ttlOf,
  ttlTargetOf,
} from './xt-packet.js';

function bytes(...fields: [kind: 'u8' | 'u16' | 'u32', value: number][]): Uint8Array {
  const out: number[] = [];
  for (const [kind, value] of fields) {
    const n = kind === 'u8' ? 1 : kind === 'u16' ? 2 : 4;
    for (let i = 0; i < n; i++) out.push((value >>> (8 * i)) & 0xff);
  }
  return Uint8Array.from(out);
}

const refused = (read: () => unknown) => {
  expect(read).toThrow(UntranslatableError);
  expect(read).toThrow(expect.objectContaining({ code: 'BPFILTER_UNTRANSLATABLE' }));
};

describe('packet extensions read from unchecked bytes', () => {
  it('refuses another revision and short data of every reader', () => {
    const readers = [limitOf, statisticOf, lengthOf, ttlOf, pkttypeOf, dscpOf, tcpmssOf];
    for (const read of readers) refused(() => read(new Uint8Array(8), 7));
    refused(() => tosOf(new Uint8Array(3), 0));
    refused(() => ownerOf(new Uint8Array(20), 0));
    refused(() => connmarkTargetOf(new Uint8Array(16), 0));
    // Short: missing bytes read as 0, which each reader refuses or reads as the kernel would.
    refused(() => limitOf(new Uint8Array(2), 0));
    expect(statisticOf(new Uint8Array(0), 0)).toEqual({ mode: 'random', op: '<', below: 0 });
  });

  it('limit: a zero rate or burst, and a rate slower than iptables writes, are refused', () => {
    refused(() => limitOf(bytes(['u32', 0], ['u32', 5]), 0));
    refused(() => limitOf(bytes(['u32', 10000], ['u32', 0]), 0));
    // 2^32-1 / 10000 s between packets is 1.41 a week: never enforced as 1 a week.
    refused(() => limitOf(bytes(['u32', 0xffffffff], ['u32', 1]), 0));
    expect(limitOf(bytes(['u32', 864000000], ['u32', 1]), 0)).toMatchObject({
      rate: 1,
      unit: 'day',
    });
    // --limit 7/day: iptables stores 864000000 / 7, truncated.
    expect(limitOf(bytes(['u32', 123428571], ['u32', 3]), 0)).toMatchObject({
      rate: 49,
      unit: 'week',
      burst: 3,
    });
  });

  it('statistic: probability 0 and 2^31, every 0, a counter past every', () => {
    expect(statisticOf(bytes(['u16', 0], ['u16', 0], ['u32', 0]), 0)).toMatchObject({ below: 0 });
    expect(statisticOf(bytes(['u16', 0], ['u16', 0], ['u32', 2 ** 31]), 0)).toBeUndefined();
    refused(() => statisticOf(bytes(['u16', 0], ['u16', 1], ['u32', 2 ** 31]), 0));
    const nth = (every: number, count: number) =>
      statisticOf(bytes(['u16', 1], ['u16', 0], ['u32', every], ['u32', 0], ['u32', count]), 0);
    expect(nth(0, 0)).toEqual({ mode: 'nth', op: '==', modulus: 1, value: 0 });
    refused(() => nth(2, 3));
    refused(() => nth(0xffffffff, 0));
    refused(() => statisticOf(bytes(['u16', 2], ['u16', 0]), 0));
    refused(() => statisticOf(bytes(['u16', 0], ['u16', 2]), 0));
  });

  it('length and tcpmss: min above max (xt matches nothing) is refused, 0xffff kept', () => {
    refused(() => lengthOf(bytes(['u16', 100], ['u16', 50], ['u8', 0]), 0));
    refused(() => lengthOf(bytes(['u16', 100], ['u16', 50], ['u8', 1]), 0));
    refused(() => tcpmssOf(bytes(['u16', 1400], ['u16', 1000], ['u8', 0]), 0));
    expect(tcpmssOf(bytes(['u16', 0xffff], ['u16', 0xffff], ['u8', 0]), 0)).toEqual({
      min: 0xffff,
      max: 0xffff,
      invert: false,
    });
  });

  it('ttl mode 7, pkttype 4, dscp 64 are refused', () => {
    refused(() => ttlOf(bytes(['u8', 7], ['u8', 1]), 0));
    refused(() => pkttypeOf(bytes(['u32', 4], ['u32', 0]), 0));
    refused(() => dscpOf(bytes(['u8', 64], ['u8', 0]), 0));
    refused(() => dscpTargetOf(bytes(['u8', 0xff]), 0));
  });

  it('tos: a value outside its mask (the kernel never matches it) is refused', () => {
    refused(() => tosOf(bytes(['u8', 0x0f], ['u8', 0x10], ['u8', 0]), 1));
    expect(tosOf(bytes(['u8', 0xf0], ['u8', 0x10], ['u8', 1]), 1)).toEqual({
      mask: 0xf0,
      value: 0x10,
      invert: true,
    });
  });

  it('owner: an empty uid or gid range is refused', () => {
    const owner = (uidMin: number, uidMax: number, match: number) =>
      ownerOf(
        bytes(['u32', uidMin], ['u32', uidMax], ['u32', 0], ['u32', 0], ['u8', match], ['u8', 0]),
        1,
      );
    refused(() => owner(10, 5, 1));
    expect(owner(10, 5, 2)).toEqual({ gid: { min: 0, max: 0, invert: false } });
    refused(() => owner(0, 0, 4));
  });

  it('CONNMARK revision 2: a shift is refused in every mode, --set-xmark included', () => {
    const v2 = (mode: number, shiftBits: number) =>
      connmarkTargetOf(
        bytes(
          ['u32', 1],
          ['u32', 0xff],
          ['u32', 0xffffffff],
          ['u8', 0],
          ['u8', shiftBits],
          ['u8', mode],
        ),
        2,
      );
    expect(v2(0, 0)).toEqual({ mode: 'set', mask: 0xff, value: 1 });
    refused(() => v2(0, 4));
    refused(() => v2(1, 4));
    refused(() => v2(3, 0));
  });

  it('TTL, CLASSIFY, NFLOG: another revision, --ttl-inc/--ttl-dec and unknown NFLOG flags are refused', () => {
    for (const read of [classifyOf, ttlTargetOf, nflogOf])
      refused(() => read(new Uint8Array(80), 1));
    expect(ttlTargetOf(bytes(['u8', 0], ['u8', 64]), 0)).toBe(64);
    refused(() => ttlTargetOf(bytes(['u8', 2], ['u8', 1]), 0));
    refused(() => nflogOf(bytes(['u32', 0], ['u16', 1], ['u16', 0], ['u16', 2]), 0));
    // A prefix that fills its 64 bytes (no NUL) is read whole; short data reads as zeros.
    const full = new Uint8Array(76).fill(0x61, 12);
    expect(nflogOf(full, 0)).toEqual({ group: 0, prefix: 'a'.repeat(64), threshold: 0 });
    expect(nflogOf(new Uint8Array(0), 0)).toEqual({ group: 0, prefix: '', threshold: 0 });
    expect(classifyOf(bytes(['u32', 0x10010]), 0)).toBe(0x10010);
  });
});
