import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
// First, so that its leftover check runs after the kill below (after-hooks run last-in first).
import './fixtures.js';
import { isAlive } from './process-table.js';

const hosts: ChildProcess[] = [];

// A test that failed or timed out leaves its host running: kill it here, so that the next
// test's leftover check does not fail on it too.
afterEach(async () => {
  const left = hosts.splice(0).filter((h) => h.exitCode === null && h.signalCode === null);
  await Promise.all(
    left.map((host) => {
      const exited = once(host, 'exit');
      host.kill('SIGKILL');
      return exited;
    }),
  );
});

/** The host program of `fixtures/host.mjs` (its arguments: how it ends, which handler). */
export const HOST = fileURLToPath(new URL('../fixtures/host.mjs', import.meta.url));

/**
 * Runs {@link HOST} (after `prefix`, a command that execs the rest, such as `nice -n 7`) and
 * resolves once it printed its handler's pid.
 */
export async function startHost(how: string, kind?: string, prefix: readonly string[] = []) {
  const command = [...prefix, process.execPath, HOST, how, ...(kind ? [kind] : [])];
  const host = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  hosts.push(host);
  let out = '';
  host.stdout.setEncoding('utf8');
  host.stdout.on('data', (chunk: string) => (out += chunk));
  const exited = once(host, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  while (!out.includes('\n')) {
    await Promise.race([
      once(host.stdout, 'data'),
      exited.then(() => Promise.reject(new Error(`host exited early: ${out}`))),
    ]);
  }
  const handlerPid = Number(out.trim());
  // (a host that ends at once may already have taken its handler down)
  if (how === 'wait' || how === 'graceful') expect(isAlive(handlerPid)).toBe(true);
  return { host, handlerPid, exited, output: () => out };
}
