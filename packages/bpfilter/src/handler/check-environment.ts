/** The facts outside a table that the kernel's checks look up, read from this machine. */
import { readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import type { CheckEnvironment } from './extension-spec.js';
import { IPSET_INVALID_ID } from './ipset-sockopt.js';

/** Where the cgroup v2 hierarchy is mounted, if it is (the kernel resolves `--path` in it). */
function cgroup2Root(): string | undefined {
  try {
    const mounts = readFileSync('/proc/self/mounts', 'utf8');
    for (const line of mounts.split('\n')) {
      const [, mountPoint, type] = line.split(' ');
      if (type === 'cgroup2' && mountPoint) return mountPoint.replace(/\\040/g, ' ');
    }
  } catch {
    // No /proc: as if cgroup2 were not mounted.
  }
  return undefined;
}

/**
 * The environment of the machine the handler runs on; `rateEstimators` are the names the
 * tables in use already create (the caller collects them; read only when a check first asks,
 * which most tables never do); `kernelSets`: set indexes are the kernel's (enforcing), any
 * below IPSET_INVALID_ID is taken, else bpfilter has no sets.
 */
export function hostEnvironment(
  rateEstimators: Iterable<string> = [],
  kernelSets = false,
): CheckEnvironment {
  let known: Set<string> | undefined;
  const estimators = () => {
    known ??= new Set(rateEstimators);
    return known;
  };
  return {
    cgroupPathExists,
    setExists: (index) => kernelSets && index < IPSET_INVALID_ID,
    rateEstimatorExists: (name) => estimators().has(name),
    addRateEstimator: (name) => {
      estimators().add(name);
    },
  };
}

const hostCgroups = {
  cgroupPathExists(path: string): boolean {
    const relative = normalize(`/${path}`);
    // The root cgroup always exists, mounted or not; anything else must be a directory.
    if (relative === '/') return true;
    const root = cgroup2Root();
    if (!root) return false;
    try {
      return statSync(join(root, relative)).isDirectory();
    } catch {
      return false;
    }
  },
};
const { cgroupPathExists } = hostCgroups;
