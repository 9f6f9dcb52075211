// CPU time (ns on a CPU, from /proc/PID/task/TID/schedstat) of a process tree, by part: the
// time a part really ran, which a loaded machine inflates far less than wall time.
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
      const ns = Number(read(`/proc/${p}/task/${tid}/schedstat`)?.split(' ')[0] ?? 0);
      const part = name(cmdline.replaceAll('\0', ' '), tid === String(p));
      parts[part] = (parts[part] ?? 0) + ns;
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
