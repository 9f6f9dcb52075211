// NODE_DEBUG=bpfilter: the service's step times (src/sockopt/phase-log.ts) go to its stderr;
// this prints the last enforced restore's steps as a timeline from its start, and each step's
// median start and end over the measured restores (a busy machine moves one restore's steps,
// and the whole restore's median hides which step moved), and what the commit waited for.
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

/** What the kernel's commit (`netlink`) of a replace waits for: the steps started with it. */
const COMMIT_WAITS_FOR = {
  compile: 'early compile',
  'old counters': 'old counters',
  'handler check': 'handler set 4100',
};

/**
 * Over the measured restores (`windows`): which of the steps the kernel's commit waits for
 * (the compile, the old counters' read, the handler's check) ended last in each, and that
 * step's lead over the next (the most the others could take off the commit's start), then
 * each one's median end in ms from the SET_REPLACE's arrival. A change to one of them
 * shortens the restore only where it is the last.
 */
export function printCommitGate(log, windows) {
  const ends = Object.fromEntries(Object.keys(COMMIT_WAITS_FOR).map((name) => [name, []]));
  const last = new Map();
  for (const window of windows) {
    const steps = stepsIn(log, window);
    const request = steps.find(({ step }) => step === 'request set 64');
    if (request === undefined) continue;
    const endOf = (step) => {
      const found = steps.find((s) => s.step === step && s.start >= request.start);
      return found && found.start + found.ms - request.start;
    };
    const at = Object.entries(COMMIT_WAITS_FOR).map(([name, step]) => [name, endOf(step)]);
    if (at.some(([, end]) => end === undefined)) continue;
    for (const [name, end] of at) ends[name].push(end);
    const [first, second] = at.sort((a, b) => b[1] - a[1]);
    const leads = last.get(first[0]) ?? [];
    leads.push(first[1] - second[1]);
    last.set(first[0], leads);
  }
  const counted = [...last.values()].reduce((sum, leads) => sum + leads.length, 0);
  console.log(
    `\nwhat the kernel's commit waited for, in ${counted} of the ${windows.length} measured enforced restores (those with all three steps):`,
  );
  for (const [name, leads] of last)
    console.log(
      `  ${name} ended last in ${leads.length}, by a median ${median(leads).toFixed(1)} ms`,
    );
  for (const [name, list] of Object.entries(ends))
    if (list.length > 0)
      console.log(`  ${name}: median end ${median(list).toFixed(1)} ms after the SET_REPLACE`);
}
