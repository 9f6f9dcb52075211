import { readFileSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { debug } from '../observability/debug-log.js';

/**
 * Gives a handler's session the host's niceness. A handler runs in a session of its own (so that
 * `stop()` can signal its whole group), and where Linux groups CPU time by session (autogroup),
 * a process's nice value only ranks it within its session: without this, the handlers of a host
 * started with `nice` would compete with everything else at normal priority. The session gets
 * the larger of the host's own nice value and its session's; a host at nice 0 or below changes
 * nothing. Best effort: a kernel without autogroup, or a write refused, leaves it as it was.
 */
export function inheritSessionNice(pid: number): void {
  const nice = Math.max(getPriority(), sessionNice('self') ?? 0);
  if (nice <= 0 || sessionNice(pid) === undefined) return;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(nice));
  } catch (error) {
    debug('handler %d: session nice %d not set: %s', pid, nice, (error as Error).message);
  }
}

/** The nice value of a process's session (`/proc/PID/autogroup`), undefined without autogroup. */
function sessionNice(pid: number | 'self'): number | undefined {
  try {
    const match = /\bnice (-?\d+)$/m.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
