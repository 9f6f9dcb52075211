import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SUPERVISE } from './pid-namespace-supervisor.js';

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
});
