// Throwaway network namespaces, each held open by a sleep, and a runner of commands in one.
import { execFileSync, spawn, spawnSync } from 'node:child_process';

const holders = [];

/** A namespace held open by a sleep; returns a runner of commands in it. */
export function namespace() {
  const holder = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore' });
  // Killed on exit (closeNamespaces); a running holder must not keep the bench from ending.
  holder.unref();
  holders.push(holder);
  const pid = String(holder.pid);
  for (let i = 0; i < 100; i++) {
    const ns = spawnSync('readlink', [`/proc/${pid}/ns/net`]).stdout.toString();
    if (ns && ns !== spawnSync('readlink', ['/proc/self/ns/net']).stdout.toString()) break;
    spawnSync('sleep', ['0.02']);
  }
  // A listing of a large table (`nft list` of 20,000 rules) runs past execFileSync's 1 MiB.
  const run = (argv, options = {}) =>
    execFileSync('nsenter', ['-t', pid, '-n', ...argv], {
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      ...options,
    });
  run(['ip', 'link', 'set', 'lo', 'up']);
  return { pid, run };
}

/** Ends every namespace's holder (synchronous: it runs in the process's exit handler). */
export function closeNamespaces() {
  for (const holder of holders) holder.kill('SIGKILL');
}
