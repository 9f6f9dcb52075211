// A payload the caller transfers (detaches) after request() returned, while its frame still waits
// to be written: that request alone fails with UMD_INVALID_ARGUMENT, no partial frame reaches the
// handler, and the same handler answers the next request. Transferred once the stream is
// writing it, the request fails so too, and the handler, which may hold other host memory in its
// place, is replaced (issue 11).
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { blockDir, untilBlocked } from './helpers/block-dir.js';
import { fixtureLoader, handlerPid, managed, rejection, str, text } from './helpers/fixtures.js';

const MiB = 1 << 20;

function transfer(view: Uint8Array): void {
  structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
}

/** An echo handler that may block (`block:<dir>`, which needs no permission model) with more in flight. */
function blockable() {
  return managed({
    loader: fixtureLoader('echo'),
    sandbox: { permission: false },
    maxInFlight: 4,
    requestTimeoutMs: 10_000,
  });
}

describe('a payload transferred after the call', () => {
  it('framed: transferred in the same tick fails that request alone', async () => {
    const m = managed({ loader: fixtureLoader('echo'), requestTimeoutMs: 5000 });
    expect(str(await m.request(text('ready')))).toBe('ready');
    const pid = handlerPid(m);
    const payload = new Uint8Array(64 * 1024).fill(7);
    const gone = m.request(payload);
    transfer(payload);
    expect(await rejection(gone)).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    expect(str(await m.request(text('next')))).toBe('next');
    expect(handlerPid(m)).toBe(pid);
  });

  it('framed: transferred while a handler that stopped reading holds up the writes', async () => {
    const dir = await blockDir();
    try {
      const m = blockable();
      const blocked = m.request(text(`block:${dir}`));
      await untilBlocked(dir);
      const pid = handlerPid(m);
      // More than the stdio sockets buffer: the pipe is full and the next frame waits its turn.
      const big = new Uint8Array(4 * MiB).fill(3);
      const first = m.request(big);
      await sleep(20); // the big one in the pipe and the socket: the next waits behind it
      const payload = new Uint8Array(64 * 1024).fill(9);
      const gone = rejection(m.request(payload));
      await sleep(50);
      transfer(payload);
      const after = m.request(text('after'));
      await writeFile(join(dir, 'go'), '');
      expect(str(await blocked)).toBe('unblocked');
      expect(Buffer.compare(await first, big)).toBe(0);
      expect(await gone).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      expect(str(await after)).toBe('after');
      expect(handlerPid(m)).toBe(pid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('framed: transferred while the stream writes it fails that request, and a new handler answers the next', async () => {
    const dir = await blockDir();
    try {
      const m = blockable();
      const blocked = m.request(text(`block:${dir}`)).then(str, (error: unknown) => error);
      await untilBlocked(dir);
      const pid = handlerPid(m);
      // More than the stdio sockets buffer: libuv holds the rest, to write from the payload's memory.
      const payload = new Uint8Array(4 * MiB).fill(0x41);
      const gone = rejection(m.request(payload));
      await sleep(50);
      transfer(payload);
      await writeFile(join(dir, 'go'), '');
      expect(await gone).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      const first = await blocked;
      if (first !== 'unblocked') expect(first).toMatchObject({ code: 'UMD_CLOSED' });
      expect(str(await m.request(text('next')))).toBe('next');
      expect(handlerPid(m)).not.toBe(pid);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('raw: a request transferred in the same tick fails that exchange alone', async () => {
    const raw = managed({ loader: fixtureLoader('raw'), requestTimeoutMs: 5000 });
    const starts: number[] = [];
    raw.on('start', ({ pid }) => starts.push(pid));
    await raw.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16);
    const request = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const gone = raw.requestRaw(request, 16);
    transfer(request);
    expect(await rejection(gone)).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    const reply = await raw.requestRaw(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 16);
    expect([...reply.subarray(8)]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(starts).toHaveLength(1);
  });
});
