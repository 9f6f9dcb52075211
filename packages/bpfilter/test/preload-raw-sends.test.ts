/**
 * `bpfilter exec` gives a program the service's socket for every raw IPv4 socket of the
 * iptables kind: a program that sends packets on one must fail with a clear errno and a line
 * naming bpfilter, and none of its bytes may reach the service (fixtures/raw-sends.c).
 */
import { execFile } from 'node:child_process';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { fakeService, reply } from './fake-service.js';
import { PRELOAD } from './iptables/namespace.js';

let fixture: CFixture;
let server: Server | undefined;

beforeAll(() => {
  fixture = compileFixture('raw-sends', new URL('./fixtures/raw-sends.c', import.meta.url));
});
afterAll(() => {
  server?.close();
  fixture?.remove();
});

const EPERM = 1;

describe.skipIf(process.platform !== 'linux')('raw IPv4 sends under the preload', () => {
  it('send, sendto, sendmsg and write fail with EPERM, said once; the socket still serves iptables', async () => {
    const requests: number[] = [];
    const service = await fakeService(fixture.dir, 'raw-sends', (id, n, socket) => {
      requests.push(n);
      socket.write(reply(id, 0, 84));
    });
    server = service.server;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
      (resolve, reject) =>
        execFile(
          fixture.program,
          { env: { LD_PRELOAD: PRELOAD, BPFILTER_SOCKET: service.path }, timeout: 10_000 },
          (error, out, err) => (error ? reject(error) : resolve({ stdout: out, stderr: err })),
        ),
    );
    expect(stdout.trim().split('\n')).toEqual([
      `send rc=-1 errno=${EPERM}`,
      `sendto rc=-1 errno=${EPERM}`,
      `sendto-address rc=-1 errno=${EPERM}`,
      `sendmsg rc=-1 errno=${EPERM}`,
      `write rc=-1 errno=${EPERM}`,
      'get-info rc=0 errno=0',
    ]);
    expect(
      stderr.match(/bpfilter_preload: .*bpfilter's iptables socket, not a raw IP socket/g),
    ).toHaveLength(1);
    expect(requests).toEqual([1]); // the GET_INFO alone: no packet byte reached the service
  });
});
