// CPU time (ns on a CPU, from /proc/PID/task/TID/schedstat) of a process tree, by part: the
// time a part really ran, which a loaded machine inflates far less than wall time; and its
// minor page faults (/proc/PID/task/TID/stat), the fresh memory a part's CPU time includes.
import { readdirSync, readFileSync } from 'node:fs';

const read = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // a task that ended meanwhile
  }
};

/**
 * CPU ns of `pid` and its descendants, by part: `name(pid, tid, isMain)` names the part a
 * thread belongs to.
 */
export function treeCpu(pid, name) {
  return treeSum(pid, name, (task) => Number(read(`${task}/schedstat`)?.split(' ')[0] ?? 0));
}

/**
 * Minor page faults of `pid` and its descendants, by part (as {@link treeCpu}): a fault is a
 * page of fresh memory first touched, a cost the CPU time of the part includes.
 */
export function treeFaults(pid, name) {
  return treeSum(pid, name, (task) => {
    const stat = read(`${task}/stat`) ?? '';
    // minflt, the 10th field; the 2nd (the name, in parentheses) may hold spaces.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7] ?? 0);
  });
}

/** `countOf(/proc/PID/task/TID)` summed over the threads of `pid` and its descendants, by part. */
function treeSum(pid, name, countOf) {
  const parts = {};
  const walk = (p) => {
    const cmdline = read(`/proc/${p}/cmdline`);
    if (cmdline === undefined) return;
    let tids = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      const value = countOf(`/proc/${p}/task/${tid}`);
      const part = name(cmdline.replaceAll('\0', ' '), tid === String(p));
      parts[part] = (parts[part] ?? 0) + value;
      for (const child of (read(`/proc/${p}/task/${tid}/children`) ?? '').split(' '))
        if (child) walk(Number(child));
    }
  };
  walk(pid);
  return parts;
}

/** `after - before` per part, in ms. */
export function cpuSpent(before, after) {
  return Object.fromEntries(
    Object.entries(after).map(([part, ns]) => [part, (ns - (before[part] ?? 0)) / 1e6]),
  );
}

/** `after - before` per part, as counted. */
export function countSpent(before, after) {
  return Object.fromEntries(
    Object.entries(after).map(([part, count]) => [part, count - (before[part] ?? 0)]),
  );
}
