/**
 * `bpfilter exec` gives a program the service's socket for every raw IPv4 socket of the
 * iptables kind: a program that sends packets on one must fail with a clear errno and a line
 * naming bpfilter, and none of its bytes may reach the service (fixtures/raw-sends.c).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeService, reply } from './fake-service.js';
import { PRELOAD } from './iptables/namespace.js';

let dir: string;
let program: string;
let server: Server | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bpfilter-raw-sends-'));
  program = join(dir, 'raw-sends');
  const source = fileURLToPath(new URL('./fixtures/raw-sends.c', import.meta.url));
  execFileSync('cc', ['-O1', '-o', program, source]);
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const EPERM = 1;

describe.skipIf(process.platform !== 'linux')('raw IPv4 sends under the preload', () => {
  it('send, sendto, sendmsg and write fail with EPERM, said once; the socket still serves iptables', async () => {
    const requests: number[] = [];
    const service = await fakeService(dir, 'raw-sends', (id, n, socket) => {
      requests.push(n);
      socket.write(reply(id, 0, 84));
    });
    server = service.server;
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>(
      (resolve, reject) =>
        execFile(
          program,
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
