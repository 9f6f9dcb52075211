// Where the bench's processes run. On a small VM the 64 B round trip costs about twice as much
// when the host and its handler wake each other across CPUs as when they share one, and the
// scheduler picks that per process and keeps it: the bare channel's handler and the manager's
// could land differently, and the ratio then measured placement, not the manager. Pinning the
// host to one CPU and every handler to another gives both sides the same placement.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** `pid` and its descendants (through /proc's children lists), all their threads. */
function processTree(pid) {
  const tree = [pid];
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return tree;
  }
  for (const task of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {}
    for (const child of children.trim().split(/\s+/).filter(Boolean))
      tree.push(...processTree(Number(child)));
  }
  return tree;
}

function setAffinity(pid, list) {
  for (const each of processTree(pid))
    execFileSync('taskset', ['-a', '-p', '-c', list, String(each)], { stdio: 'ignore' });
}

/**
 * Pins this process to CPU 0 and each of `handlerPids`' trees to CPU 1 (where the machine has
 * two or more and `taskset` works); returns the function that lets them all run anywhere again,
 * and which placement was used.
 */
export function pinHostAndHandlers(handlerPids) {
  const count = cpus().length;
  if (count < 2) return { placement: 'one CPU', release() {} };
  const all = `0-${count - 1}`;
  try {
    setAffinity(process.pid, '0');
    for (const pid of handlerPids) setAffinity(pid, '1');
  } catch {
    return { placement: 'unpinned (taskset failed)', release() {} };
  }
  return {
    placement: 'host on CPU 0, handlers on CPU 1',
    release() {
      for (const pid of [process.pid, ...handlerPids]) {
        try {
          setAffinity(pid, all);
        } catch {}
      }
    },
  };
}
