import { execFile } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers/handlers.js';

// Each case runs a real host process whose Node internals are sabotaged one way, talking to a
// real echo handler: the transport must notice, fall back to `data` events (or fail with a
// typed error), log its decision under NODE_DEBUG=umd, and never misread a byte.

interface HostResult {
  ok: boolean;
  replies: number;
  dataEvents: number;
  error: { code: string; message: string } | string | null;
}

function runHost(sabotage: string, transport: 'pipe' | 'socket') {
  return new Promise<{ result: HostResult; log: string }>((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [fixture('internals-host.mjs'), sabotage, transport],
      { env: { ...process.env, NODE_DEBUG: 'umd' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve({ result: JSON.parse(line) as HostResult, log: stderr });
        } catch {
          reject(new Error(`host ${sabotage}/${transport} failed: ${error}\n${stdout}\n${stderr}`));
        }
      },
    );
    child.stdin!.write(''); // stdin stays an open pipe: the host finds the pipe handle's prototype there
  });
}

const ALL_REPLIES = 4;

describe('direct reads on a child stdout pipe, against sabotaged internals', () => {
  it('engage on this Node, proven by the first read, without a data event', async () => {
    const { result, log } = await runHost('none', 'pipe');
    expect(result).toMatchObject({ ok: true, replies: ALL_REPLIES, dataEvents: 0 });
    expect(log).toMatch(/child \d+ stdout: direct reads proven by the first read/);
  }, 60_000);

  for (const [sabotage, logged] of [
    ['missing-fields', /data events \(the socket has no onread fields\)/],
    ['decoy-fields', /data events \(the socket has no onread fields\)/],
    ['no-calls', /data events \(the handle has no useUserBuffer\/onread\)/],
    [
      'throws',
      /useUserBuffer threw \(useUserBuffer is not supported here\)[\s\S]*data events \(useUserBuffer failed\)/,
    ],
    ['noop', /direct reads ignored by the first read/],
  ] as const) {
    it(`fall back to data events when ${sabotage}`, async () => {
      const { result, log } = await runHost(sabotage, 'pipe');
      expect(result, log).toMatchObject({ ok: true, replies: ALL_REPLIES, error: null });
      expect(result.dataEvents).toBeGreaterThan(0);
      expect(log).toMatch(logged);
    }, 60_000);
  }

  it('destroy the socket (a typed error, never a misread byte) when read bytes go astray', async () => {
    const { result, log } = await runHost('lost', 'pipe');
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({
      code: expect.stringMatching(/^UMD_(CLOSED|HANDLER_EXITED)$/),
    });
    expect(log).toMatch(/direct reads lost by the first read/);
  }, 60_000);
});

describe('a reply socket (public onread), against sabotaged internals', () => {
  it('reads straight into buffers, proven by the first read', async () => {
    const { result, log } = await runHost('none', 'socket');
    expect(result).toMatchObject({ ok: true, replies: ALL_REPLIES, dataEvents: 0 });
    expect(log).toMatch(/reply socket \d+: onread proven by the first read/);
  }, 60_000);

  it('falls back to data events when useUserBuffer does nothing', async () => {
    const { result, log } = await runHost('noop', 'socket');
    expect(result, log).toMatchObject({ ok: true, replies: ALL_REPLIES, error: null });
    expect(result.dataEvents).toBeGreaterThan(0);
    expect(log).toMatch(/reply socket \d+: onread ignored by the first read/);
  }, 60_000);

  it('fails to open with UMD_START_FAILED when useUserBuffer throws', async () => {
    const { result } = await runHost('throws', 'socket');
    expect(result).toMatchObject({ ok: false, error: { code: 'UMD_START_FAILED' } });
  }, 60_000);
});

describe('openReplySocket() in a cluster worker', () => {
  it('opens every time (listen on a path completes later there) and carries a reply', async () => {
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile(
        process.execPath,
        [fixture('cluster-host.mjs')],
        { timeout: 60_000 },
        (error, out, err) =>
          error ? reject(new Error(`${error}\n${err}`)) : resolve({ stdout: out }),
      ),
    );
    expect(JSON.parse(stdout.trim())).toEqual({ opened: 20, echoed: true, error: null });
  }, 60_000);
});
