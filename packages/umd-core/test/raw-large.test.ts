import { describe, expect, it } from 'vitest';
import { RawChannel } from '../src/index.js';
import { fixture, reapAfterEach, spawnHandler } from './helpers/handlers.js';

reapAfterEach();

function offsetRequest(offset: number): Uint8Array {
  const request = new Uint8Array(8);
  new DataView(request.buffer).setBigUint64(0, BigInt(offset), true);
  return request;
}

describe('raw replies far larger than the 64 KiB pipe buffer', () => {
  for (const size of [128 * 1024, 16 * 1024 * 1024]) {
    it(`reads a ${size / 1024} KiB reply to an 8-byte request, several times`, async () => {
      const handler = spawnHandler(fixture('sample-raw.mjs'), 'raw', {
        SAMPLE_REPLY_SIZE: String(size),
      });
      const channel = RawChannel.fromChild(handler.child);
      for (const offset of [0, 65_535, 65_536, size - 1]) {
        const reply = await channel.exchange(offsetRequest(offset), size);
        const expected = new Uint8Array(size);
        expected[offset] = 1;
        expect(Buffer.from(reply).equals(expected), `reply for offset ${offset}`).toBe(true);
      }
      channel.close();
      expect(await handler.exited).toEqual({ code: 0, signal: null });
    });
  }
});
