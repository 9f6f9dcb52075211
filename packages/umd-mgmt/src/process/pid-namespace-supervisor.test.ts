import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findSupervisor, NAMESPACE_INIT, SUPERVISE } from './pid-namespace-supervisor.js';

// Both shells the manager may run it with (dash where installed, else bash).
const shells = [['/bin/dash'], ['/bin/bash', '--norc', '--noprofile', '--posix']].filter(([file]) =>
  existsSync(file!),
);

function supervised(shell: string[], ...command: string[]) {
  return spawn(shell[0]!, [...shell.slice(1), '-c', SUPERVISE, ...command], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

describe.each(shells)('the PID-namespace supervisor script (%s)', (...shell) => {
  it('passes stdin on and ends with the exit status of its command', async () => {
    const child = supervised(shell, 'sh', '-c', 'read x; echo "got $x"; exit 7');
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stdin.end('hello\n');
    expect(await once(child, 'exit')).toEqual([7, null]);
    expect(out).toBe('got hello\n');
  });

  it('ends with the signal that ended its command', async () => {
    const child = supervised(shell, 'sh', '-c', 'kill -SEGV $$');
    expect(await once(child, 'exit')).toEqual([null, 'SIGSEGV']);
  });

  it('lets go of stdout: a command that closes it is seen while it still runs', async () => {
    const child = supervised(shell, 'sh', '-c', 'exec >&-; read x; exit 4');
    child.stdout.resume();
    await once(child.stdout, 'end');
    expect(child.exitCode).toBeNull();
    child.stdin.end('go\n');
    expect(await once(child, 'exit')).toEqual([4, null]);
  });

  it('waits out SIGTERM while its command runs on', async () => {
    const child = supervised(shell, 'sh', '-c', 'echo running; read x; exit 5');
    await once(child.stdout, 'data'); // the command runs: the traps were set before it
    child.kill('SIGTERM');
    child.stdin.end('go\n');
    expect(await once(child, 'exit')).toEqual([5, null]);
  });

  it('reports the exit status of a command that ends as the supervisor gets SIGTERM', async () => {
    // The signal lands while the command ends: a wait it cut short once lost the status (bash).
    for (let round = 0; round < 20; round++) {
      const child = supervised(shell, 'sh', '-c', 'kill -TERM $PPID; exit 5');
      expect(await once(child, 'exit')).toEqual([5, null]);
    }
  });
});

// Not pid 1 here (containment.test.ts runs it as one): what it does with its command's end.
describe.runIf(existsSync('/bin/bash'))('the PID namespace init script (bash)', () => {
  const init = (...command: string[]) => {
    const args = ['--norc', '--noprofile', '--posix', '-c', NAMESPACE_INIT, '/usr/bin/env'];
    return spawn('/bin/bash', [...args, ...command], { stdio: ['ignore', 'pipe', 'inherit'] });
  };

  it('ends with its command’s exit status, or 128 plus the signal that ended it', async () => {
    expect(await once(init('sh', '-c', 'exit 7'), 'exit')).toEqual([7, null]);
    expect(await once(init('sh', '-c', 'kill -SEGV $$'), 'exit')).toEqual([139, null]);
  });

  it('passes a signal on to its command’s process group, and waits for the command', async () => {
    const child = init(
      'sh',
      '-c',
      'trap "exit 5" TERM; echo running; while :; do sleep 0.01; done',
    );
    await once(child.stdout, 'data'); // the command runs, in a group of its own
    child.kill('SIGTERM');
    expect(await once(child, 'exit')).toEqual([5, null]);
  });

  it('reports the exit status of a command that ends as the init gets a signal', async () => {
    // The trapped signal cuts the init's wait short as the command ends.
    for (let round = 0; round < 20; round++) {
      const child = init(
        'sh',
        '-c',
        'trap "exit 5" TERM; kill -TERM $PPID; while :; do sleep 0.01; done',
      );
      expect(await once(child, 'exit')).toEqual([5, null]);
    }
  });
});

describe('findSupervisor', () => {
  const installed = (name: string) =>
    ['/usr/bin', '/bin'].map((dir) => `${dir}/${name}`).find((path) => existsSync(path));
  const withoutDash = (name: string) => (name === 'dash' ? undefined : installed(name));

  it.each([
    ['dash where installed', installed],
    ['bash without dash', withoutDash],
  ])(
    '%s: the command gets default SIGINT and SIGQUIT, and none of the shell’s variables',
    async (_, program) => {
      const supervisor = await findSupervisor(program);
      if (supervisor === undefined) return; // no shell at all: unshare --fork supervises
      const run = async (...command: string[]) => {
        const child = spawn(
          supervisor.shell[0]!,
          [...supervisor.shell.slice(1), '-c', SUPERVISE, ...supervisor.before(true), ...command],
          {
            stdio: ['ignore', 'pipe', 'inherit'],
            env: { PATH: '/usr/bin:/bin', KEPT: 'yes' },
          },
        );
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        expect(await once(child, 'exit')).toEqual([0, null]);
        return out;
      };
      const ignored = BigInt(
        `0x${/^SigIgn:\s+([0-9a-f]+)$/m.exec(await run('cat', '/proc/self/status'))![1]}`,
      );
      expect(ignored & 0b110n).toBe(0n); // bits of SIGINT (2) and SIGQUIT (3)
      expect((await run('env')).trim().split('\n').sort()).toEqual([
        'KEPT=yes',
        'PATH=/usr/bin:/bin',
      ]);
    },
  );
});
