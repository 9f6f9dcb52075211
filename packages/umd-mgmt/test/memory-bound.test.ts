import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blockDir, untilBlocked } from './helpers/block-dir.js';
import { fixtureLoader, managed, str, text } from './helpers/fixtures.js';

const FLOOD_HOST = fileURLToPath(new URL('./fixtures/abort-flood-host.mjs', import.meta.url));
const STOPPED_HOST = fileURLToPath(
  new URL('./fixtures/stopped-managers-host.mjs', import.meta.url),
);
const MiB = 1 << 20;

describe('bounded host memory against a handler that stops reading', () => {
  it('300 aborted 1 MiB requests leave the host bounded, and the next request gets its own reply', async () => {
    const dir = await blockDir();
    try {
      const host = spawn(process.execPath, ['--expose-gc', FLOOD_HOST, '300', dir], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      host.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
      expect(await once(host, 'exit')).toEqual([0, null]);
      const report = JSON.parse(out);
      expect(report.codes).toEqual({ UMD_ABORTED: 300 });
      // Unsent bytes go with their request: what waits is at most the frame the pipe has part of.
      expect(report.queuedBytes).toBeLessThanOrEqual(MiB + 64 * 1024);
      // The host holds a few MiB of buffers, not the 300 MiB it was asked to send.
      expect(report.arrayBuffers).toBeLessThan(32 * MiB);
      expect(report.unblocked).toBe('unblocked');
      expect(report.after).toBe('after the flood');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('maxQueuedBytes refuses with UMD_QUEUE_FULL, and every accepted request gets its own reply', async () => {
    const dir = await blockDir();
    try {
      const m = managed({
        loader: fixtureLoader('echo'),
        sandbox: { permission: false },
        maxInFlight: 2,
        maxQueuedBytes: 3 * MiB,
      });
      const blocked = m.request(text(`block:${dir}`));
      await untilBlocked(dir);
      const accepted: Promise<Uint8Array>[] = [];
      const payloads: Uint8Array[] = [];
      let refused: Record<string, unknown> | undefined;
      for (let i = 0; i < 10 && refused === undefined; i++) {
        // A little under 1 MiB: the bound is then never met exactly, and a small request fits.
        const payload = new Uint8Array(MiB - 4096).fill(i + 1);
        const reply = m.request(payload);
        const settled = await Promise.race([
          reply.then(
            () => undefined,
            (e) => e,
          ),
          sleep(20),
        ]);
        if (settled !== undefined) refused = settled as Record<string, unknown>;
        else {
          accepted.push(reply);
          payloads.push(payload);
        }
      }
      expect(refused).toMatchObject({ code: 'UMD_QUEUE_FULL' });
      // One sent that the handler does not read, the others waiting here for a slot: all count
      // but what the kernel's socket buffer took (the stdio sockets' 2 MiB takes the first whole).
      expect(accepted.length).toBeGreaterThanOrEqual(2);
      expect(m.stats()).toMatchObject({ inFlight: 2, queued: accepted.length - 1 });
      expect(m.stats().queuedBytes).toBeGreaterThan(2 * MiB);
      expect(m.stats().queuedBytes).toBeLessThanOrEqual(3 * MiB);
      // The bound is bytes, not requests: a small one still fits.
      const small = m.request(text('small'));
      await writeFile(join(dir, 'go'), '');
      expect(str(await blocked)).toBe('unblocked');
      const replies = await Promise.all(accepted);
      replies.forEach((reply, i) => expect(Buffer.compare(reply, payloads[i]!)).toBe(0));
      expect(str(await small)).toBe('small');
      expect(m.stats().queuedBytes).toBe(0);
      expect(str(await m.request(text('then')))).toBe('then');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('bounded host memory across many managers', () => {
  it('a stopped manager keeps nothing alive: its handler, channel and start chain are collectable', async () => {
    const host = spawn(process.execPath, ['--expose-gc', STOPPED_HOST, '5'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    host.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    expect(await once(host, 'exit')).toEqual([0, null]);
    expect(JSON.parse(out)).toEqual({ alive: 0 });
  });
});
