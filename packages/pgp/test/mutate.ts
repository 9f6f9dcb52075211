/** Random mutations of byte strings for the fuzz tests, replayable from a seed. */

/** xorshift32: the seed is printed, so a failure can be replayed with PGP_FUZZ_SEED. */
export function rng(seed: number): (n: number) => number {
  let x = seed || 1;
  return (n) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** One random mutation: flip, set, insert, delete, truncate, or duplicate a range. */
export function mutate(input: Buffer, r: (n: number) => number): Buffer {
  const b = Buffer.from(input);
  const at = r(b.length);
  switch (r(7)) {
    case 0:
      b[at] = (b[at] as number) ^ (1 << r(8));
      return b;
    case 1:
      b[at] = [0, 0xff, 0x7f, 0x80, 0xc0, 0xdf, 0xe0][r(7)] as number;
      return b;
    case 2:
      return Buffer.concat([b.subarray(0, at), Buffer.from([r(256)]), b.subarray(at)]);
    case 3:
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + r(8))]);
    case 4:
      return b.subarray(0, at);
    case 5: {
      const len = r(32);
      return Buffer.concat([
        b.subarray(0, at + len),
        b.subarray(at, at + len),
        b.subarray(at + len),
      ]);
    }
    default:
      for (let i = 0; i < 1 + r(4); i++) b[r(b.length)] = r(256);
      return b;
  }
}
