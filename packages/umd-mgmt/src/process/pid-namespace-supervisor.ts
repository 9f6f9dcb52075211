import { execFile } from 'node:child_process';

/**
 * The supervisor of a PID namespace: `unshare --pid` (without `--fork`) execs this POSIX shell
 * script, whose first child becomes the namespace's first process, the handler's init
 * ({@link NAMESPACE_INIT}, where bash is installed). Unlike `unshare --fork`, which keeps the
 * handler's stdin, stdout and stderr open while it waits, the script lets go of them once the
 * handler runs: a handler that closes its stdout, or whose output ends, is seen at once, as
 * without a namespace. It waits out SIGTERM and SIGINT (the init passes them on to the
 * handler), then ends as the handler did: its exit status, or its
 * signal raised again (a status of 129 to 159 cannot be told from a signal that way, and is
 * taken for one; a real-time signal stays the status 128 plus it, as Node names none). Builtins only after the handler ends: a dead namespace cannot fork.
 * An asynchronous command starts with SIGINT and SIGQUIT ignored; {@link Supervisor.before}
 * gives them back their defaults where `env` can (the init traps them to pass them on).
 */
export const SUPERVISE = [
  // The host died (this process's parent-death signal): the handler goes too, killed here, as
  // its own parent-death signal, armed only once it runs, may come too late. `$!` is empty
  // before the fork (kill fails, silenced), and a signal before this line kills the shell.
  "trap 'kill -KILL $! 2>/dev/null; exit 137' USR2",
  // Trapped until the handler runs, so that its signals start at their defaults.
  'trap : INT TERM',
  // The shell's own variables (dash exports PWD) are none of the handler's business.
  'unset PWD OLDPWD',
  // An asynchronous command's stdin is /dev/null, whatever it redirects: pass ours on by fd 9.
  'exec 9<&0',
  '"$0" "$@" <&9 9<&- &',
  'p=$!',
  // Ignored from here, no longer trapped: a trapped signal would end `wait` early, and a shell
  // that reaps its children on SIGCHLD (bash) may already have reaped the handler by then.
  "trap '' INT TERM",
  'exec </dev/null >/dev/null 2>&1 9<&-',
  'wait "$p"',
  's=$?',
  // USR2 too: the handler's own SIGUSR2 must end this shell, not run the host's-death trap.
  'trap - INT TERM USR2',
  // Signals 1 to 31 only: Node names no real-time one (a process it ended reads as exit 0), so
  // 160 to 192 stay exit codes. Not a stop signal (19 to 22): that would stop the supervisor.
  'if [ "$s" -gt 128 ] && [ "$s" -le 159 ]; then',
  '  case $((s - 128)) in 19|20|21|22) ;; *) kill -$((s - 128)) $$ ;; esac',
  'fi',
  'exit "$s"',
].join('\n');

/**
 * The signals the PID namespace's init passes on to the handler's process group: those a person
 * or program sends (the launcher's init passes real-time ones too).
 */
const PASSED = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'ALRM', 'TERM', 'CONT', 'WINCH', 'PWR'];

/**
 * The PID namespace's init in the program chain, a bash script (the one that closes inherited
 * descriptors, as the handler's user): the kernel gives an init only the signals it handles, and
 * none of their default actions (pid_namespaces(7)), so a handler that were pid 1 would live
 * through SIGTERM, its abort() would not end it and its orphans would stay zombies. This init
 * runs the handler (`env -u SHLVL -u _`, `$0`) as pid 2 in a process group of its own (job
 * control for that fork only: with it, `wait` would return at each stop of the handler), passes
 * the signals in {@link PASSED} on to that group (those before the fork once it runs), reaps
 * whatever ends in the namespace (bash waits for any child), lets go of the handler's stdio and
 * exits as the handler did: its exit status, or 128 plus its signal, which `SUPERVISE` raises.
 * A `wait` that a trapped signal cut short is taken up again while the handler lives; one that
 * ends as the handler does returns that signal, so the handler's status is then asked once more
 * (127 once it was already told).
 */
export const NAMESPACE_INIT = [
  'p= q=',
  'pass() { if [ -n "$p" ]; then kill -s "$1" -- "-$p" 2>/dev/null || kill -s "$1" "$p" 2>/dev/null; else q="$q $1"; fi; }',
  `for s in ${PASSED.join(' ')}; do trap "pass $s" "$s"; done`,
  'set -m',
  // bash exports `_` (the command's path) to a command it forks, SHLVL to any.
  '"$0" -u SHLVL -u _ -- "$@" &',
  'p=$!',
  'set +m',
  'for s in $q; do pass "$s"; done',
  'exec </dev/null >/dev/null 2>&1',
  'while :; do',
  '  wait "$p"; s=$?',
  '  if ! kill -0 "$p" 2>/dev/null; then wait "$p"; t=$?; [ "$t" = 127 ] || s=$t; break; fi',
  'done',
  'exit "$s"',
].join('\n');

/** How to run {@link SUPERVISE}. */
export interface Supervisor {
  /** The shell, up to its `-c`: `dash` where installed (it starts faster), else bash. */
  shell: string[];
  /**
   * What runs the handler's command line: `env` giving SIGINT and SIGQUIT back their defaults
   * (`resetSignals`; Node resets every disposition itself at startup) and dropping bash's
   * SHLVL and `_`, or nothing when neither is needed.
   */
  before(resetSignals: boolean): string[];
}

/** The supervisor this machine can run, from `program(name)`'s system paths; undefined without a shell. */
export async function findSupervisor(
  program: (name: string) => string | undefined,
): Promise<Supervisor | undefined> {
  const dash = program('dash');
  const bash = program('bash');
  const env = program('env');
  const shell =
    dash !== undefined
      ? [dash]
      : bash !== undefined
        ? [bash, '--norc', '--noprofile', '--posix']
        : undefined;
  if (shell === undefined) return undefined;
  // coreutils 8.31 and later; with an older env the two signals stay ignored.
  const canReset = env !== undefined && (await runs(env, ['--default-signal=INT,QUIT', 'true']));
  const bashOnly = dash === undefined ? ['-u', 'SHLVL', '-u', '_'] : [];
  return {
    shell,
    before(resetSignals) {
      const options = [
        ...(resetSignals && canReset ? ['--default-signal=INT,QUIT'] : []),
        ...bashOnly,
      ];
      return env !== undefined && options.length > 0 ? [env, ...options, '--'] : [];
    },
  };
}

function runs(file: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) =>
    execFile(file, args, { timeout: 5000 }, (error) => resolve(error === null)),
  );
}
