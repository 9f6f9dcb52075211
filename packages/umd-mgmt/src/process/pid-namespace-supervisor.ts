/**
 * The supervisor of a PID namespace: `unshare --pid` (without `--fork`) execs this POSIX shell
 * script, whose first child becomes the namespace's first process, the handler. Unlike
 * `unshare --fork`, which keeps the handler's stdin, stdout and stderr open while it waits,
 * the script lets go of them once the handler runs: a handler that closes its stdout, or whose
 * output ends, is seen at once, as without a namespace. It waits out SIGTERM and SIGINT (the
 * handler gets its own chance to stop), then ends as the handler did: its exit status, or its
 * signal raised again (a status of 129 to 192 cannot be told from a signal that way, and is
 * taken for one). Builtins only after the handler ends: a dead namespace cannot fork.
 */
export const SUPERVISE = [
  'trap : INT TERM',
  // An asynchronous command's stdin is /dev/null unless it is redirected: pass ours on.
  'exec 3<&0',
  '"$0" "$@" <&3 3<&- &',
  'p=$!',
  'exec </dev/null >/dev/null 2>&1 3<&-',
  // A trapped signal ends `wait` early: wait again while the handler lives.
  'while :; do wait "$p"; s=$?; kill -0 "$p" 2>/dev/null || break; done',
  'trap - INT TERM',
  // Not a stop signal (19 to 22): that would stop the supervisor instead of ending it.
  'if [ "$s" -gt 128 ] && [ "$s" -le 192 ]; then',
  '  case $((s - 128)) in 19|20|21|22) ;; *) kill -$((s - 128)) $$ ;; esac',
  'fi',
  'exit "$s"',
].join('\n');
