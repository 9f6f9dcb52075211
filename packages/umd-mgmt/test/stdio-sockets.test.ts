import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureLoader, handlerPid, managed, rejection, str, text } from './helpers/fixtures.js';
import { temporaryDir } from './helpers/temporary-dir.js';

const HOST = fileURLToPath(new URL('./fixtures/stdio-host.mjs', import.meta.url));
const MiB = 1 << 20;

/** Bytes that differ with `seed` and along the buffer, so a misplaced or mixed-up piece shows. */
const pattern = (size: number, seed = 0) =>
  Uint8Array.from({ length: size }, (_, i) => (i * 31 + (i >> 11) + seed * 101) & 0xff);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/**
 * Sizes on each side of the thresholds a message crosses: direct reads (16 KiB), uninitialised
 * buffers (64 KiB), the handler's header-first reads (128 KiB), a default socket buffer (208 KiB),
 * the stdio sockets' (1 MiB asked, 2 MiB charged) and a huge page (2 MiB).
 */
const around = (size: number) => [size - 1, size, size + 1];
const SIZES = [0, 1, 16384, 65536, 131072, 212992, MiB, 2 * MiB]
  .flatMap((size) => (size > 1 ? around(size) : [size]))
  .concat(4 * MiB + 3);

/** Runs stdio-host.mjs with NODE_DEBUG=umd; its stdout and the debug log. */
async function runHost(nodeFlags: string[], mode: string) {
  const host = spawn(process.execPath, [...nodeFlags, HOST, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_DEBUG: 'umd' },
  });
  let out = '';
  let log = '';
  host.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  host.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  expect(await once(host, 'close')).toEqual([0, null]);
  return { out, log };
}

describe('stdio sockets: which path a handler gets, said under NODE_DEBUG=umd', () => {
  it('by default its stdin and stdout are the native helper socketpairs', async () => {
    const { out, log } = await runHost([], 'sockets');
    expect(out).toBe('ok\n');
    expect(log).toMatch(/stdio sockets, send buffers \d+ and \d+ bytes/);
    expect(log).toMatch(/handler echo started: pid \d+ \(js, stdio sockets\)/);
    expect(log).toMatch(
      /reply memory: replies of \d+ bytes and more in blocks of the native helper/,
    );
  });

  it('transport.stdioSockets false: Node stdio pipes', async () => {
    const { out, log } = await runHost([], 'pipes');
    expect(out).toBe('ok\n');
    expect(log).not.toMatch(/stdio sockets,/);
    expect(log).toMatch(/handler echo started: pid \d+ \(js, stdio pipes\)/);
  });

  it('a host that cannot load addons (--no-addons) falls back to stdio pipes and Node-allocated replies, and says why', async () => {
    const { out, log } = await runHost(['--no-addons'], 'sockets');
    expect(out).toBe('ok\n');
    expect(log).toMatch(
      /stdio sockets: native helper unavailable \(.+\); stdio pipes, large replies in Node's memory/,
    );
    expect(log).toMatch(/handler echo started: pid \d+ \(js, stdio pipes\)/);
  });
});

describe.each([
  { path: 'stdio sockets (default)', transport: {} },
  { path: 'stdio pipes', transport: { stdioSockets: false } },
])('large messages through $path', ({ transport }) => {
  it('every size around each threshold arrives intact, fresh or in replyInto', async () => {
    const m = managed({ loader: fixtureLoader('echo'), transport });
    for (const size of SIZES) {
      const payload = pattern(size, size);
      expect(same(await m.request(payload), payload), `${size} bytes`).toBe(true);
      const into = new Uint8Array(size + 7);
      const reply = await m.request(payload, { replyInto: into });
      expect(reply.buffer === into.buffer && same(reply, payload), `${size} into`).toBe(true);
    }
  });

  it('interleaved sizes from concurrent callers each get their own reply', async () => {
    const m = managed({
      loader: fixtureLoader('echo'),
      env: { UMD_FIXTURE_CONCURRENCY: '4' },
      maxInFlight: 4,
      transport,
    });
    const sizes = [5, 70000, MiB + 5, 300, 2 * MiB + 1, 17000];
    const payloads = Array.from({ length: 36 }, (_, i) => pattern(sizes[i % sizes.length]!, i));
    const replies = await Promise.all(
      payloads.map((p, i) =>
        i % 3 === 0 ? m.request(p, { replyInto: new Uint8Array(p.byteLength) }) : m.request(p),
      ),
    );
    replies.forEach((reply, i) => expect(same(reply, payloads[i]!), `request ${i}`).toBe(true));
  });

  const REPLY = 4 * MiB;

  /**
   * A manager whose handler is writing a 4 MiB reply by hand (`half-reply:`) into the caller's
   * `into`, stopped half-way (until `go()`) once part of the first half (0x11) has landed there.
   */
  async function halfWayThroughAReply(signal?: AbortSignal) {
    const m = managed({
      loader: fixtureLoader('echo'),
      sandbox: { permission: false },
      env: { UMD_FIXTURE_CONCURRENCY: '2' },
      transport,
    });
    // The handler runs as nobody under a root host: it must be able to write its marker here.
    const dir = await temporaryDir('umd-half-');
    await chmod(dir, 0o777);
    await m.request(text('x'));
    const pid = handlerPid(m);
    const into = new Uint8Array(REPLY);
    const options = signal ? { replyInto: into, signal } : { replyInto: into };
    const pending = m.request(text(`half-reply:${dir}:${REPLY}`), options);
    while (!existsSync(join(dir, 'half')) || into[1024] !== 0x11) await sleep(2);
    return { m, pid, into, pending, go: () => writeFile(join(dir, 'go'), '') };
  }

  it('a reply aborted half-way: the rest is dropped, the caller buffer is not written after, the next reply is intact', async () => {
    const controller = new AbortController();
    const { m, pid, into, pending, go } = await halfWayThroughAReply(controller.signal);
    controller.abort();
    expect((await rejection(pending)).code).toBe('UMD_ABORTED');
    into.fill(0x5a);
    await go();
    const payload = pattern(3 * MiB, 9);
    expect(same(await m.request(payload), payload)).toBe(true);
    expect(into.every((byte) => byte === 0x5a)).toBe(true);
    expect(handlerPid(m)).toBe(pid);
  });

  it('a handler killed half-way through a reply: UMD_HANDLER_EXITED, and the next request works', async () => {
    const { m, pid, pending } = await halfWayThroughAReply();
    process.kill(pid, 'SIGKILL');
    expect(await rejection(pending)).toMatchObject({ code: 'UMD_HANDLER_EXITED' });
    const payload = pattern(MiB, 3);
    expect(same(await m.request(payload), payload)).toBe(true);
    expect(handlerPid(m)).not.toBe(pid);
    expect(str(await m.request(text('count:')))).toBe('2');
  });
});
