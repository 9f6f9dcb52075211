import { expect, it } from 'vitest';
import { FramedChannel } from '../src/index.js';
import { fixture, pattern, reapAfterEach, sameBytes, spawnHandler } from './helpers/handlers.js';

// serveContract() reuses request buffers by default exactly when the request codec declares
// decodeCopies. The fixture keeps each decoded request past its answer and sends it back with the
// next request: intact when the buffer was not reused, overwritten by the next request when it was.
const SIZE = 128 * 1024; // pooled sizes start at 64 KiB

reapAfterEach();

/** The replies to three requests of SIZE bytes, each answered with the one before it. */
async function keptReplies(env: Record<string, string>): Promise<Uint8Array[]> {
  const handler = spawnHandler(fixture('contract-keep.mjs'), 'framed', env);
  const channel = FramedChannel.fromChild(handler.child);
  const replies: Uint8Array[] = [];
  for (let i = 0; i < 3; i++)
    replies.push(await channel.request(pattern(SIZE, i), { timeoutMs: 20_000 }));
  channel.close();
  expect(await handler.exited).toEqual({ code: 0, signal: null });
  return replies;
}

it('bytes(): a request the handler keeps stays intact (no reuse by default)', async () => {
  const [first, second, third] = await keptReplies({ KEEP_CODEC: 'bytes' });
  expect(first!.length).toBe(0);
  expect(sameBytes(second!, pattern(SIZE, 0))).toBe(true);
  expect(sameBytes(third!, pattern(SIZE, 1))).toBe(true);
});

it('a codec declaring decodeCopies gets reused buffers by default; an explicit false stands', async () => {
  // The codec lies (its value is the input), so the reuse shows: the kept view holds the next request.
  const [, reused] = await keptReplies({ KEEP_CODEC: 'viewing' });
  expect(sameBytes(reused!, pattern(SIZE, 1))).toBe(true);
  const [, kept] = await keptReplies({ KEEP_CODEC: 'viewing', KEEP_REUSE: '0' });
  expect(sameBytes(kept!, pattern(SIZE, 0))).toBe(true);
});

it('json(): concurrent requests of mixed sizes each get their own value back with reuse on by default', async () => {
  const handler = spawnHandler(fixture('contract-keep.mjs'), 'framed', { KEEP_CODEC: 'json' });
  const channel = FramedChannel.fromChild(handler.child, { maxInFlight: 8 });
  const encoder = new TextEncoder();
  const texts = Array.from({ length: 40 }, (_, i) =>
    JSON.stringify({ i, fill: String(i % 10).repeat([70_000, 10, 300_000, 1 << 20][i % 4]!) }),
  );
  const replies = await Promise.all(
    texts.map((text) => channel.request(encoder.encode(text), { timeoutMs: 20_000 })),
  );
  const decoder = new TextDecoder();
  replies.forEach((reply, i) => expect(decoder.decode(reply), `request ${i}`).toBe(texts[i]));
  channel.close();
  expect(await handler.exited).toEqual({ code: 0, signal: null });
}, 60_000);
