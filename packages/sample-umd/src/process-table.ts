import { readdirSync, readFileSync } from 'node:fs';

/** One row of the process table, from `/proc/<pid>/stat`. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
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
  // The name sits in parentheses and may itself hold spaces or parentheses: split at the last one.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const [state = '?', ppid = '0'] = stat.slice(close + 2).split(' ');
  return { pid, ppid: Number(ppid), state, comm: stat.slice(open + 1, close) };
}

/** True when `pid` runs (exists and is not a zombie). */
export function isAlive(pid: number): boolean {
  const info = readProcess(pid);
  return info !== undefined && info.state !== 'Z';
}

/** The living children of `ppid`, from a scan of `/proc` (Linux only; empty elsewhere). */
export function childrenOf(ppid: number): ProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children: ProcessInfo[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const info = readProcess(Number(entry));
    if (info !== undefined && info.ppid === ppid && info.state !== 'Z') children.push(info);
  }
  return children;
}
