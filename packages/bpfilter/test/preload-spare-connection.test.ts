/**
 * The preload keeps the connection of a closed socket for the next socket() of the same
 * process (native/preload_spare.c): libxtables' revision probes, a socket each, then cost one
 * connection to the service instead of one each. Never at the cost of an answer: a connection
 * the service closed, a descriptor number the program closed and reused, a forked child.
 */
import { execFile } from 'node:child_process';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CFixture, compileFixture } from './c-fixture.js';
import { fakeService, reply } from './fake-service.js';
import { PRELOAD } from './iptables/namespace.js';

let fixture: CFixture;
const servers: Server[] = [];

beforeAll(() => {
  fixture = compileFixture(
    'revision-probes',
    new URL('./fixtures/revision-probes.c', import.meta.url),
  );
});
afterAll(() => {
  for (const server of servers) server.close();
  fixture?.remove();
});

/**
 * Runs the probe program's `steps` against a fake service that answers every request (and
 * then, with `hangUp`, closes that connection): its lines and the connections it made.
 */
async function run(name: string, steps: string[], hangUp = false) {
  const answered: Socket[] = [];
  const { path, server } = await fakeService(fixture.dir, name, (id, _n, socket) => {
    socket.write(reply(id, 0, 0));
    answered.push(socket);
    if (hangUp) socket.end();
  });
  servers.push(server);
  let connections = 0;
  server.on('connection', () => connections++);
  const { out, err } = await new Promise<{ out: string; err: string }>((resolve, reject) =>
    execFile(
      fixture.program,
      steps,
      { env: { LD_PRELOAD: PRELOAD, BPFILTER_SOCKET: path }, timeout: 10_000 },
      (error, stdout, stderr) => (error ? reject(error) : resolve({ out: stdout, err: stderr })),
    ),
  );
  const sockets = new Set(answered).size;
  return { lines: out.trim().split('\n'), stderr: err, connections, sockets };
}

const ANSWERED = 'rc=0 errno=0';

describe.skipIf(process.platform !== 'linux')("the preload's spare connection", () => {
  it("answers a process's probes, a socket each, on one connection", async () => {
    const { lines, connections } = await run('probes', ['probe', 'probe', 'probe', 'probe']);
    expect(lines).toEqual(Array(4).fill(ANSWERED));
    expect(connections).toBe(1);
  });

  it('connects again when the service closed the connection it kept', async () => {
    const { lines, stderr, connections } = await run('hang-up', ['probe', 'probe', 'probe'], true);
    expect(lines).toEqual(Array(3).fill(ANSWERED));
    expect(connections).toBe(3);
    // Sent again on a connection of its own, quietly: nothing was lost.
    expect(stderr).toBe('');
  });

  it('a forked child connects on its own, and the parent keeps its connection', async () => {
    const { lines, sockets } = await run('fork', ['probe', 'fork', 'probe', 'fork']);
    expect(lines).toEqual(Array(4).fill(ANSWERED));
    // The parent's two probes on one connection, each child's on one of its own.
    expect(sockets).toBe(3);
  });

  it('a kept descriptor the program closed and reused is left to the program', async () => {
    const { lines } = await run('clobber', ['probe', 'clobber', 'probe', 'probe', 'check']);
    expect(lines).toEqual([ANSWERED, ANSWERED, ANSWERED, 'kept=4']);
  });
});
