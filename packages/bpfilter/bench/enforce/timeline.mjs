// NODE_DEBUG=bpfilter: the service's step times (src/sockopt/phase-log.ts) go to its stderr;
// this prints the last enforced restore's steps as a timeline from its start, and each step's
// median start and end over the measured restores (a busy machine moves one restore's steps,
// and the whole restore's median hides which step moved).
import { median } from '../median.mjs';

/** The service's steps within `from` to `to`, in ms from `from`, in order of start. */
function stepsIn(log, { from, to }) {
  return [...log.matchAll(/BPFILTER \d+: (.+) ([\d.]+) ms at ([\d.]+)/g)]
    .map(([, step, ms, at]) => ({ step, start: Number(at) - from, ms: Number(ms) }))
    .filter(({ start }) => start >= 0 && start < to - from)
    .sort((a, b) => a.start - b.start);
}

/**
 * Each step of the service from its start and end, in ms from the restore's start (the
 * steps of one request nest: a request's own line spans the steps it waited for).
 */
export function printTimeline(log, { from, to }) {
  const steps = stepsIn(log, { from, to });
  console.log(
    `\nthe last enforced restore (${(to - from).toFixed(1)} ms), its steps in the service:`,
  );
  for (const { step, start, ms } of steps)
    console.log(
      `${start.toFixed(1).padStart(8)} to ${(start + ms).toFixed(1).padStart(6)} ms  ${step}`,
    );
}

/**
 * Over the measured restores (`windows`), each step's median start and end in ms from the
 * restore's start, and in how many restores it ran (the first time in each, for a step a
 * restore runs twice); then the restores' median length.
 */
export function printStepMedians(log, windows) {
  const byStep = new Map();
  for (const window of windows) {
    const seen = new Set();
    for (const { step, start, ms } of stepsIn(log, window)) {
      if (seen.has(step)) continue;
      seen.add(step);
      const times = byStep.get(step) ?? { starts: [], ends: [] };
      times.starts.push(start);
      times.ends.push(start + ms);
      byStep.set(step, times);
    }
  }
  const rows = [...byStep].map(([step, { starts, ends }]) => ({
    step,
    start: median(starts),
    end: median(ends),
    n: starts.length,
  }));
  rows.sort((a, b) => a.start - b.start);
  console.log(
    `\nthe service's steps, medians over the ${windows.length} measured enforced restores:`,
  );
  for (const { step, start, end, n } of rows)
    console.log(
      `${start.toFixed(1).padStart(8)} to ${end.toFixed(1).padStart(6)} ms  ${step} (${n} of ${windows.length})`,
    );
  const lengths = windows.map(({ from, to }) => to - from);
  console.log(`${median(lengths).toFixed(1).padStart(8)} ms        the restore`);
}
