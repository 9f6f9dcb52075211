import { readdirSync, readFileSync } from 'node:fs';

/** One row of /proc: pid, parent, process group, state letter. */
export interface ProcessRow {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
}

/** Reads the process table from /proc (Linux). */
export function processTable(): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    rows.push({ pid: Number(entry), state: fields[0]!, ppid: Number(fields[1]), pgid: Number(fields[2]) });
  }
  return rows;
}

/** All descendants of `root` (children, grandchildren...), zombies included. */
export function descendantsOf(root: number, table = processTable()): ProcessRow[] {
  const found: ProcessRow[] = [];
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

/** Live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number, table = processTable()): ProcessRow[] {
  return table.filter((row) => row.pgid === pgid && row.state !== 'Z');
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Polls until `pid` is gone (or a zombie), up to `timeoutMs`; returns whether it went. */
export async function waitForDeath(pid: number, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return !isAlive(pid);
}
