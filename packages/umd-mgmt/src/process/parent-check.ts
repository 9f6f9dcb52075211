import type { Supervisor } from './pid-namespace-supervisor.js';

/**
 * The check that makes a parent-death signal hold from the spawn on. The handler's chain
 * starts with `setpriv --pdeathsig=KILL`, but a signal set after the parent died never fires:
 * a host SIGKILLed between its spawn and that call would leave the chain running with nothing
 * to end it. So the shell setpriv execs next, in the same process, first checks that its parent
 * is still the host (the re-check prctl(2) advises after PR_SET_PDEATHSIG) and ends there if not.
 */
export function checkingParent(script: string, hostPid: number = process.pid): string {
  return `[ "$PPID" = ${hostPid} ] || exit 1\n${script}`;
}

/**
 * `run` behind a shell that only makes that check, where no shell of the chain's own stands
 * there (process-group containment); as it is, without a shell installed.
 */
export function behindParentCheck(supervisor: Supervisor | undefined, run: string[]): string[] {
  if (supervisor === undefined) return run;
  const check = checkingParent('exec "$0" "$@"');
  return [...supervisor.shell, '-c', check, ...supervisor.before(false), ...run];
}
