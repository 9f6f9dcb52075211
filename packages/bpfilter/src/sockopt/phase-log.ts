/**
 * Time stamps of the steps of a change, for finding where its time goes:
 * `NODE_DEBUG=bpfilter bpfilter serve ...` prints one line per step on stderr
 * (`BPFILTER <pid>: <step> <ms> ms at <start>`, the start in ms since the Unix epoch, so that
 * the steps of one request line up with each other and with other processes' clocks, e.g.
 * `strace -ttt` of the iptables that sent it). Free when the variable does not name bpfilter.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { debuglog } from 'node:util';

const log = debuglog('bpfilter');

const GC_KINDS = new Map([
  [constants.NODE_PERFORMANCE_GC_MINOR, 'scavenge'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'mark-compact'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental marking'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weak callbacks'],
]);

// The collector's pauses of this thread, as steps on the same clock: a pause inside a step
// lengthens it, and a step that waited may have waited for one.
if (log.enabled)
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind ?? 0;
      done(`gc ${GC_KINDS.get(kind) ?? kind}`, entry.startTime, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });

/** Runs `step` and, when bpfilter debugging is on, logs how long it took. */
export async function timed<T>(name: string, step: () => Promise<T>): Promise<T> {
  if (!log.enabled) return step();
  const start = performance.now();
  try {
    return await step();
  } finally {
    done(name, start);
  }
}

/** The synchronous form of {@link timed}. */
export function timedSync<T>(name: string, step: () => T): T {
  if (!log.enabled) return step();
  const start = performance.now();
  try {
    return step();
  } finally {
    done(name, start);
  }
}

function done(name: string, start: number, ms = performance.now() - start): void {
  const at = performance.timeOrigin + start;
  log('%s %s ms at %s', name, ms.toFixed(1), at.toFixed(1));
}
