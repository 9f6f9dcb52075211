/**
 * The preload reads a service's reply straight into the caller's memory (optval, or a
 * SET_REPLACE's counters). A service that answers too much, too little, for another request
 * or stops halfway must never make it write past that memory, and must end the call with an
 * errno. The caller's buffers end at an unmapped page (fixtures/sockopt-guard.c).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame, encodeHello, FRAME_HEADER_SIZE, FrameType } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRELOAD } from './iptables/namespace.js';

/** How the fake service answers request number `n` (1-based) with id `id`. */
type Answer = (id: number, n: number, socket: Socket) => void;

const reply = (id: number, status: number, bytes: number, fill = 0x11) => {
  const payload = Buffer.alloc(4 + bytes, fill);
  payload.writeInt32LE(status, 0);
  return encodeFrame(FrameType.Reply, id, payload);
};

let dir: string;
let guard: string;
const servers: Server[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfilter-lying-'));
  guard = join(dir, 'sockopt-guard');
  const source = fileURLToPath(new URL('./fixtures/sockopt-guard.c', import.meta.url));
  execFileSync('cc', ['-O1', '-o', guard, source]);
});
afterAll(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the guard program's `calls` against a service answering with `answer`. */
async function run(name: string, answer: Answer, calls: string[]): Promise<string[]> {
  const path = join(dir, `${name}.sock`);
  let n = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.write(
      encodeFrame(FrameType.Hello, 0, encodeHello({ version: 1, maxPayload: 1 << 20, name })),
    );
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= FRAME_HEADER_SIZE) {
        const length = buffered.readUInt32LE(12);
        if (buffered.length < FRAME_HEADER_SIZE + length) break;
        answer(buffered.readUInt32LE(8), ++n, socket);
        buffered = buffered.subarray(FRAME_HEADER_SIZE + length);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const { execFile } = await import('node:child_process');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      guard,
      calls,
      { env: { LD_PRELOAD: PRELOAD, BPFILTER_SOCKET: path }, timeout: 10_000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  );
  return out.trim().split('\n');
}

const EPROTO = 71;
const ECONNRESET = 104;
const EPIPE = 32;

describe.skipIf(process.platform !== 'linux')('the preload against a lying service', () => {
  it('a reply longer than optlen fills optval and no more; a shorter one only its bytes', async () => {
    const lines = await run('sizes', (id, n, s) => s.write(reply(id, 0, n === 1 ? 4096 : 10)), [
      'get:84',
      'get:84',
    ]);
    expect(lines).toEqual(['rc=0 errno=0 changed=84', 'rc=0 errno=0 changed=10']);
  });

  it('a SET_REPLACE reply longer than its counters fills them and no more', async () => {
    const lines = await run('counters', (id, n, s) => s.write(reply(id, 0, n === 1 ? 4096 : 32)), [
      'replace:2',
      'replace:0',
    ]);
    expect(lines).toEqual(['rc=0 errno=0 changed=32', 'rc=0 errno=0 changed=0']);
  });

  it('a reply to another request fails with EPROTO, and so does every later call', async () => {
    // The wrong reply carries what looks like the next request's reply: it must not be taken.
    const lines = await run(
      'ids',
      (id, n, s) => {
        if (n === 1) {
          s.write(encodeFrame(FrameType.Reply, id + 7, reply(id + 1, 0, 84, 0x22)));
        } else s.write(reply(id, 0, 84));
      },
      ['get:84', 'get:84'],
    );
    expect(lines[0]).toBe(`rc=-1 errno=${EPROTO} changed=0`);
    expect(lines[1]).toMatch(
      new RegExp(`^rc=-1 errno=(${EPIPE}|${ECONNRESET}|${EPROTO}) changed=0$`),
    );
  });

  it('a reply that stops halfway fails with an errno, written bytes within optval', async () => {
    const lines = await run(
      'halfway',
      (id, _n, s) => {
        const frame = reply(id, 0, 84);
        s.end(frame.subarray(0, FRAME_HEADER_SIZE + 4 + 40));
      },
      ['get:84', 'get:84'],
    );
    expect(lines[0]).toBe(`rc=-1 errno=${ECONNRESET} changed=40`);
    expect(lines[1]).toMatch(/^rc=-1 errno=\d+ changed=0$/);
  });
});
