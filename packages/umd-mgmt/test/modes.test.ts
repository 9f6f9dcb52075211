import diagnosticsChannel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { DiagnosticsChannels } from '../src/index.js';
import { fixtureLoader, managed, rejection, str, text } from './helpers/fixtures.js';

const rawRequest = (...bytes: number[]) => Uint8Array.from(bytes);

describe('raw mode', () => {
  it('requestRaw writes the request and reads exactly replyLength bytes', async () => {
    const m = managed({ loader: fixtureLoader('raw') });
    const reply = await m.requestRaw(rawRequest(1, 2, 3, 4, 5, 6, 7, 8), 16);
    expect([...reply]).toEqual([8, 7, 6, 5, 4, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect((await rejection(m.request(rawRequest(1, 2, 3, 4, 5, 6, 7, 8)))).code).toBe(
      'UMD_INVALID_ARGUMENT',
    );
  });

  it('a raw handler that exits mid-exchange fails it with UMD_HANDLER_EXITED; the next request starts a new one', async () => {
    const m = managed({ loader: fixtureLoader('raw') });
    await m.requestRaw(rawRequest(1, 2, 3, 4, 5, 6, 7, 8), 16);
    const first = m.pid;
    const error = await rejection(m.requestRaw(rawRequest(0xff, 0, 0, 0, 0, 0, 0, 0), 16));
    expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED', exitCode: 5 });
    const reply = await m.requestRaw(rawRequest(9, 9, 9, 9, 9, 9, 9, 1), 16);
    expect(reply[0]).toBe(1);
    expect(m.pid).not.toBe(first);
  });

  it('a raw timeout poisons the stream: the handler is killed and replaced', async () => {
    const m = managed({ loader: fixtureLoader('raw') });
    await m.start();
    const first = m.pid;
    // Asking for more than the handler ever writes: no reply within the timeout.
    const error = await rejection(
      m.requestRaw(rawRequest(1, 2, 3, 4, 5, 6, 7, 8), 32, { timeoutMs: 200 }),
    );
    expect(error).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true, signal: 'SIGKILL' });
    expect((await m.requestRaw(rawRequest(1, 2, 3, 4, 5, 6, 7, 8), 16)).length).toBe(16);
    expect(m.pid).not.toBe(first);
  });

  it('runs the raw postStart check before the first request', async () => {
    const seen: number[][] = [];
    const m = managed({
      loader: fixtureLoader('raw', {
        postStart: async (session) => {
          seen.push([
            ...(await session.exchange(rawRequest(0, 0, 0, 0, 0, 0, 0, 42), 16)).subarray(0, 1),
          ]);
        },
      }),
    });
    await m.requestRaw(rawRequest(1, 2, 3, 4, 5, 6, 7, 8), 16);
    expect(seen).toEqual([[42]]);
  });
});

describe('native handler', () => {
  it('starts from a verified private copy, echoes, and recovers from SIGKILL', async () => {
    const m = managed({ loader: fixtureLoader('native-echo') });
    expect(str(await m.request(text('from C')))).toBe('from C');
    const first = m.pid!;
    process.kill(first, 'SIGKILL');
    expect(await rejection(new Promise((_, reject) => m.once('error', reject)))).toMatchObject({
      code: 'UMD_HANDLER_EXITED',
      signal: 'SIGKILL',
    });
    expect(str(await m.request(text('again')))).toBe('again');
    expect(m.pid).not.toBe(first);
  });
});

describe('observability', () => {
  it('emits lifecycle events, stderr lines, stats and diagnostics_channel messages', async () => {
    const m = managed({ name: 'observed', loader: fixtureLoader('echo') });
    const events: string[] = [];
    for (const name of ['load', 'start', 'ready', 'exit'] as const)
      m.on(name, () => events.push(name));
    const lines: string[] = [];
    m.on('stderr', (line, pid) => lines.push(`${pid === m.pid ? 'pid' : '?'} ${line}`));
    const published: string[] = [];
    const subscribers = Object.entries(DiagnosticsChannels).map(([key, name]) => {
      const fn = (message: unknown) => {
        if ((message as { manager: string }).manager === 'observed') published.push(key);
      };
      diagnosticsChannel.subscribe(name, fn);
      return () => diagnosticsChannel.unsubscribe(name, fn);
    });
    try {
      await m.request(text('stderr:hello from the handler'));
      await m.request(text('12345'));
      await rejection(m.request(text('fail:5')));
      expect(events).toEqual(['load', 'start', 'ready']);
      expect(lines).toContain('pid hello from the handler');
      const stats = m.stats();
      expect(stats).toMatchObject({
        state: 'running',
        starts: 1,
        restarts: 0,
        requests: 3,
        replies: 2,
        failures: 1,
        inFlight: 0,
        queued: 0,
      });
      expect(stats.bytesSent).toBe('stderr:hello from the handler'.length + 5);
      expect(stats.bytesReceived).toBe(2 + 5);
      expect(stats.latency.count).toBe(2);
      expect(stats.latency.maxMs).toBeGreaterThan(0);
      await m.stop();
      expect(events).toEqual(['load', 'start', 'ready', 'exit']);
      expect(published).toEqual([
        'requestStart',
        'start',
        'ready',
        'requestEnd',
        'requestStart',
        'requestEnd',
        'requestStart',
        'requestEnd',
        'exit',
      ]);
    } finally {
      for (const unsubscribe of subscribers) unsubscribe();
    }
  });
});

describe('diagnostics of a failed request', () => {
  it('publish the error the caller gets: classified, with the exit details of the handler', async () => {
    const m = managed({ name: 'diag-classified', loader: fixtureLoader('echo') });
    const ends: { error: unknown }[] = [];
    const onEnd = (message: unknown) => {
      if ((message as { manager: string }).manager === 'diag-classified')
        ends.push(message as { error: unknown });
    };
    diagnosticsChannel.subscribe(DiagnosticsChannels.requestEnd, onEnd);
    try {
      await m.start();
      const error = await rejection(m.request(text('exit:3')));
      expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED', exitCode: 3 });
      expect(ends).toHaveLength(1);
      expect(ends[0]!.error).toBe(error);
    } finally {
      diagnosticsChannel.unsubscribe(DiagnosticsChannels.requestEnd, onEnd);
    }
  });
});
