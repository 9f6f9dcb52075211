// Where a bench row's time goes: the host's CPU (user, system), its page faults, voluntary
// context switches and GC pauses (by kind), and the other side's CPU, page faults and switches (a process tree read from /proc:
// a handler under its supervisor, or pingpong.c's parent and child). Summed over a row's samples.
// Also what @umd/core's reply memory did meanwhile: large replies in a kept block (`reused`) or a
// fresh one (`mapped`: its pages fault in), blocks V8 gave back and were kept or unmapped.
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { descendantsOf, replyMemoryStats } from '@umd/core/testing';

const KIND = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/** Every process of the tree under `pid`, `pid` included. */
export function processTree(pid) {
  return [pid, ...descendantsOf(pid).map((p) => p.pid)];
}

/** CPU nanoseconds thread `task` of process `pid` has run (schedstat's first field). */
const taskCpuNs = (pid, task) =>
  Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);

/** CPU nanoseconds, voluntary context switches (all threads) and minor faults of some processes. */
export function treeCounters(pids) {
  let cpuNs = 0;
  let switches = 0;
  let faults = 0;
  for (const pid of pids) {
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        cpuNs += taskCpuNs(pid, task);
        const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8');
        switches += Number(/^voluntary_ctxt_switches:\s*(\d+)/m.exec(status)?.[1] ?? 0);
      }
      // minflt is field 10 of stat; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      faults += Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[7]);
    } catch {
      // gone
    }
  }
  return { cpuNs, switches, faults };
}

/**
 * CPU nanoseconds of some processes' main threads and of all their other threads (V8's workers,
 * libuv's pool), apart: where a round trip's CPU goes, the event loop or GC and I/O helpers.
 */
export function threadSplitNs(pids) {
  const split = { main: 0, others: 0 };
  for (const pid of pids) {
    try {
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const ns = taskCpuNs(pid, task);
        if (task === String(pid)) split.main += ns;
        else split.others += ns;
      }
    } catch {
      // gone
    }
  }
  return split;
}

/** Accumulates the time split of named rows; observes GC from its construction to `report()`. */
export class RowProbe {
  rows = {};
  #gcPauses = [];
  #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      this.#gcPauses.push({ start: entry.startTime, ms: entry.duration, kind: entry.detail?.kind });
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** Runs `sample` (one row's sample, returning its result) and adds its counters to row `key`; `pids` are the other side's processes. */
  async measure(key, pids, sample) {
    const usage0 = process.resourceUsage();
    const other0 = treeCounters(pids);
    const memory0 = replyMemoryStats();
    const t0 = performance.now();
    const result = await sample();
    const t1 = performance.now();
    const usage1 = process.resourceUsage();
    const other1 = treeCounters(pids);
    const memory1 = replyMemoryStats();
    this.rows[key] ??= {
      samples: 0,
      wallMs: 0,
      hostUserMs: 0,
      hostSystemMs: 0,
      hostFaults: 0,
      hostSwitches: 0,
      otherCpuMs: 0,
      otherFaults: 0,
      otherSwitches: 0,
      blocks: { reused: 0, mapped: 0, kept: 0, unmapped: 0 },
      windows: [],
    };
    const row = this.rows[key];
    row.samples++;
    row.wallMs += t1 - t0;
    row.hostUserMs += (usage1.userCPUTime - usage0.userCPUTime) / 1000;
    row.hostSystemMs += (usage1.systemCPUTime - usage0.systemCPUTime) / 1000;
    row.hostFaults += usage1.minorPageFault - usage0.minorPageFault;
    row.hostSwitches += usage1.voluntaryContextSwitches - usage0.voluntaryContextSwitches;
    row.otherCpuMs += (other1.cpuNs - other0.cpuNs) / 1e6;
    row.otherFaults += other1.faults - other0.faults;
    row.otherSwitches += other1.switches - other0.switches;
    for (const key of Object.keys(row.blocks))
      if (memory0 && memory1) row.blocks[key] += memory1[key] - memory0[key];
    row.windows.push([t0, t1]);
    return result;
  }

  /** Stops observing; the rows with their GC pauses attributed (call after a turn of the event loop, so entries have arrived). */
  report() {
    this.#observer.disconnect();
    const out = {};
    for (const [key, row] of Object.entries(this.rows)) {
      const gc = {};
      for (const pause of this.#gcPauses) {
        if (!row.windows.some(([a, b]) => pause.start >= a && pause.start < b)) continue;
        const kind = KIND[pause.kind] ?? String(pause.kind);
        gc[kind] ??= { count: 0, ms: 0 };
        gc[kind].count++;
        gc[kind].ms += pause.ms;
      }
      // Per sample, in order: the mark-compacts that started in it (a sample with one is slow).
      const majorsPerSample = row.windows.map(
        ([a, b]) =>
          this.#gcPauses.filter(
            (p) => p.kind === constants.NODE_PERFORMANCE_GC_MAJOR && p.start >= a && p.start < b,
          ).length,
      );
      const { windows, ...rest } = row;
      out[key] = { ...rest, gc, majorsPerSample };
    }
    return out;
  }
}
