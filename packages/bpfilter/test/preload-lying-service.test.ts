/**
 * The preload reads a service's reply straight into the caller's memory (optval, or a
 * SET_REPLACE's counters). A service that answers too much, too little, for another request
 * or stops halfway must never make it write past that memory, and must end the call with an
 * errno. The caller's buffers end at an unmapped page (fixtures/sockopt-guard.c).
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:net';
import { encodeFrame, FRAME_HEADER_SIZE, FrameType } from '@umd/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { type Answer, fakeService, reply } from './fake-service.js';
import { PRELOAD } from './iptables/namespace.js';

let fixture: CFixture;
const servers: Server[] = [];

beforeAll(() => {
  fixture = compileFixture('sockopt-guard', new URL('./fixtures/sockopt-guard.c', import.meta.url));
});
afterAll(() => {
  for (const server of servers) server.close();
  fixture?.remove();
});

/** Runs the guard program's `calls` against a service answering with `answer`. */
async function run(name: string, answer: Answer, calls: string[]): Promise<string[]> {
  const { path, server } = await fakeService(fixture.dir, name, answer);
  servers.push(server);
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      fixture.program,
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
