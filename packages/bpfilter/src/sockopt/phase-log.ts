/**
 * Time stamps of the steps of a change, for finding where its time goes:
 * `NODE_DEBUG=bpfilter bpfilter serve ...` prints one line per step on stderr
 * (`BPFILTER <pid>: <step> <ms> ms at <start>`, the start in ms since the Unix epoch, so that
 * the steps of one request line up with each other and with other processes' clocks, e.g.
 * `strace -ttt` of the iptables that sent it). Free when the variable does not name bpfilter.
 */
import { debuglog } from 'node:util';

const log = debuglog('bpfilter');

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

function done(name: string, start: number): void {
  const at = performance.timeOrigin + start;
  log('%s %s ms at %s', name, (performance.now() - start).toFixed(1), at.toFixed(1));
}
