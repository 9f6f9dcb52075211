/**
 * npm's script runner (`npx`, `npm exec`, `npm run`) starts a command through `sh -c` and
 * passes a SIGTERM on to that shell only; the shell dies of it without passing it on, and the
 * command is left running as an orphan. Under that runner (it sets `npm_lifecycle_event`),
 * the end of the process that started us is taken as the stop signal. Elsewhere a parent's
 * end means nothing (`nohup`, `setsid`, a daemonizing shell) and nothing is watched.
 */

/** How often the parent is checked; Node has no parent-death signal to wait on. */
const POLL_MS = 250;

/**
 * Calls `onGone` once when this process's parent changes (it was reparented: its launcher
 * exited), if npm's script runner started it. Returns the function that stops the watch.
 */
export function watchLauncher(onGone: () => void, env = process.env): () => void {
  if (env.npm_lifecycle_event === undefined) return () => {};
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, POLL_MS);
  // A watch alone must not keep the process alive.
  timer.unref();
  return () => clearInterval(timer);
}
