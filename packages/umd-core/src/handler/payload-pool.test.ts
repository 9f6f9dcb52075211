import { describe, expect, it } from 'vitest';
import { PayloadPool } from './payload-pool.js';

const KiB = 1024;

describe('PayloadPool', () => {
  it('hands a released large buffer out again, for the same or a smaller length', () => {
    const pool = new PayloadPool(2);
    const first = pool.acquire(128 * KiB);
    pool.release(first);
    const again = pool.acquire(100 * KiB);
    expect(again.buffer).toBe(first.buffer);
    expect(again.byteLength).toBe(100 * KiB);
    // Not free any more: the next one is fresh.
    expect(pool.acquire(100 * KiB).buffer).not.toBe(first.buffer);
  });

  it('never pools small payloads and never hands out a buffer that is in use', () => {
    const pool = new PayloadPool(2);
    const small = pool.acquire(1000);
    pool.release(small);
    expect(pool.acquire(1000).buffer).not.toBe(small.buffer);
    const a = pool.acquire(64 * KiB);
    const b = pool.acquire(64 * KiB);
    expect(a.buffer).not.toBe(b.buffer);
    pool.release(a);
    pool.release(a); // twice: still one entry
    const c = pool.acquire(64 * KiB);
    const d = pool.acquire(64 * KiB);
    expect(c.buffer).toBe(a.buffer);
    expect(d.buffer).not.toBe(a.buffer);
  });

  it('keeps at most `capacity` free buffers, the largest, and picks the smallest that fits', () => {
    const pool = new PayloadPool(2);
    const [a, b, c] = [pool.acquire(64 * KiB), pool.acquire(256 * KiB), pool.acquire(128 * KiB)];
    pool.release(a);
    pool.release(b);
    pool.release(c); // a (smallest) is dropped
    expect(pool.acquire(64 * KiB).buffer).toBe(c.buffer);
    expect(pool.acquire(64 * KiB).buffer).toBe(b.buffer);
    expect(pool.acquire(64 * KiB).buffer).not.toBe(a.buffer);
  });

  it('pools payloads from 16 KiB, so a request just under 64 KiB reuses its buffer too', () => {
    const pool = new PayloadPool(1);
    const first = pool.acquire(64 * KiB - 33);
    pool.release(first);
    expect(pool.acquire(64 * KiB - 33).buffer).toBe(first.buffer);
    const mid = pool.acquire(16 * KiB);
    pool.release(mid);
    expect(pool.acquire(16 * KiB).buffer).toBe(mid.buffer);
    const below = pool.acquire(16 * KiB - 1);
    pool.release(below);
    expect(pool.acquire(16 * KiB - 1).buffer).not.toBe(below.buffer);
  });

  it('keeps the buffers of requests read together, up to batchBytes beyond `capacity`', () => {
    const pool = new PayloadPool(2, 256 * KiB);
    // Seven 64 KiB requests in flight at once: 2 buffers plus 256 KiB of extras come back.
    const seven = Array.from({ length: 7 }, () => pool.acquire(64 * KiB));
    for (const payload of seven) pool.release(payload);
    const again = seven.map(() => pool.acquire(64 * KiB).buffer);
    const reused = again.filter((buffer) => seven.some((payload) => payload.buffer === buffer));
    expect(reused).toHaveLength(6);
    expect(new Set(reused).size).toBe(6);
  });

  it('bounds the extras in bytes: large buffers beyond `capacity` are not kept', () => {
    const pool = new PayloadPool(2, 32 * KiB);
    const large = [1, 2, 3].map((n) => pool.acquire(n * 64 * KiB));
    for (const payload of large) pool.release(payload);
    // The two largest stay; the 64 KiB one would have been an extra above 32 KiB.
    expect(pool.acquire(64 * KiB).buffer).toBe(large[1]!.buffer);
    expect(pool.acquire(64 * KiB).buffer).toBe(large[2]!.buffer);
    expect(pool.acquire(64 * KiB).buffer).not.toBe(large[0]!.buffer);
  });
});
