/**
 * The preload can be loaded into any program, threads and forks included: while one thread
 * waits in an exchange with the service, the program's other threads must still close their
 * descriptors, and a child forked meanwhile must be able to close them and exit
 * (fixtures/sockopt-threads.c). The service holds its reply until the program said what the
 * other thread or the child did.
 */
import { spawn } from 'node:child_process';
import type { Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { fakeService, reply } from './fake-service.js';
import { PRELOAD } from './iptables/namespace.js';

let fixture: CFixture;
const servers: Server[] = [];

beforeAll(() => {
  const source = new URL('./fixtures/sockopt-threads.c', import.meta.url);
  fixture = compileFixture('sockopt-threads', source, ['-pthread']);
});
afterAll(() => {
  for (const server of servers) server.close();
  fixture?.remove();
});

/** Runs the program in `mode`; the service answers once the program printed its first line. */
async function run(mode: 'close' | 'fork'): Promise<string[]> {
  let child: ReturnType<typeof spawn> | undefined;
  let answerNow: (() => void) | undefined;
  const { path, server } = await fakeService(fixture.dir, mode, (id, _n, socket) => {
    answerNow = () => socket.write(reply(id, 0, 84));
    child?.stdin?.write('go\n');
  });
  servers.push(server);
  // A get that waits longer than this for its reply fails with ETIMEDOUT.
  const env = { LD_PRELOAD: PRELOAD, BPFILTER_SOCKET: path, BPFILTER_TIMEOUT_MS: '5000' };
  child = spawn(fixture.program, [mode], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    const complete = text.split('\n');
    text = complete.pop()!;
    for (const line of complete) {
      if (lines.length === 0) answerNow?.();
      lines.push(line);
    }
  });
  await new Promise((resolve) => child.on('close', resolve));
  return lines;
}

describe.skipIf(process.platform !== 'linux')('the preload in a multithreaded program', () => {
  it('another thread closes a descriptor while a get waits for the service', async () => {
    expect(await run('close')).toEqual(['closed', 'get rc=0 errno=0']);
  });

  it('a child forked while a get waits closes a descriptor and exits', async () => {
    expect(await run('fork')).toEqual(['child exited', 'get rc=0 errno=0']);
  });
});
