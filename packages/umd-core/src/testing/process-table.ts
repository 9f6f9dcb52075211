/**
 * The process table as Linux's `/proc` shows it, for tests that must prove no handler process
 * is left behind: the kernel's word, not a manager's state. On other systems the scans are empty.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One row of the process table, from `/proc/<pid>/stat`. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
  /** One-letter state; `Z` is a zombie (exited, not yet reaped). */
  state: string;
  /** Executable name, as the kernel keeps it (at most 15 characters). */
  comm: string;
}

/** Reads one process's row, or `undefined` when it does not exist (any more). */
export function readProcess(pid: number): ProcessInfo | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp ...": the name may itself hold spaces or parentheses, so split at the last one.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const [state = '?', ppid = '0', pgid = '0'] = stat.slice(close + 2).split(' ');
  return { pid, ppid: Number(ppid), pgid: Number(pgid), state, comm: stat.slice(open + 1, close) };
}

/** Every process in `/proc` (empty where there is no `/proc`). */
export function processTable(): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const rows: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const row = readProcess(Number(entry)); // undefined: it exited while we looked
    if (row !== undefined) rows.push(row);
  }
  return rows;
}

/** True when `pid` runs (exists and is not a zombie). */
export function isAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== 'Z' && info.state !== 'X';
}

/** The living children of `ppid`. */
export function childrenOf(ppid: number, table = processTable()): ProcessInfo[] {
  return table.filter((row) => row.ppid === ppid && row.state !== 'Z');
}

/** All descendants of `root` (children, grandchildren...), zombies included. */
export function descendantsOf(root: number, table = processTable()): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  let frontier = new Set([root]);
  while (frontier.size > 0) {
    const next = new Set<number>();
    for (const row of table) {
      if (frontier.has(row.ppid)) {
        found.push(row);
        next.add(row.pid);
      }
    }
    frontier = next;
  }
  return found;
}

/** Living members of process group `pgid` (a handler and anything it started). */
export function groupMembers(pgid: number, table = processTable()): ProcessInfo[] {
  return table.filter((row) => row.pgid === pgid && row.state !== 'Z');
}
