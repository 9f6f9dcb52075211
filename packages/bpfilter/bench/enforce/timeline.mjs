// NODE_DEBUG=bpfilter: the service's step times (src/sockopt/phase-log.ts) go to its stderr;
// this prints the last enforced restore's steps as a timeline from its start.

/**
 * Each step of the service from its start and end, in ms from the restore's start (the
 * steps of one request nest: a request's own line spans the steps it waited for).
 */
export function printTimeline(log, { from, to }) {
  const steps = [...log.matchAll(/BPFILTER \d+: (.+) ([\d.]+) ms at ([\d.]+)/g)]
    .map(([, step, ms, at]) => ({ step, start: Number(at) - from, ms: Number(ms) }))
    .filter(({ start }) => start >= 0 && start < to - from)
    .sort((a, b) => a.start - b.start);
  console.log(
    `\nthe last enforced restore (${(to - from).toFixed(1)} ms), its steps in the service:`,
  );
  for (const { step, start, ms } of steps)
    console.log(
      `${start.toFixed(1).padStart(8)} to ${(start + ms).toFixed(1).padStart(6)} ms  ${step}`,
    );
}
