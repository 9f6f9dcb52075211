/**
 * Keeps stray output away from fd 1, which carries the wire protocol: after this, `process.stdout`
 * is `process.stderr`, and the global console writes both streams to stderr. The real fd 1 is
 * written only by the runtime, with `fs.writeSync`. Code that grabbed `process.stdout` before
 * this ran still holds the real stream, so call `serve()` first thing.
 */
export function guardStdout(): void {
  const stderr = process.stderr;
  Object.defineProperty(process, 'stdout', { configurable: true, enumerable: true, get: () => stderr });
  // The global console caches its stream on first use; point it at stderr in case that happened.
  const consoleStreams = console as unknown as { _stdout?: unknown };
  try {
    consoleStreams._stdout = stderr;
  } catch {
    // Not settable in this runtime: replace the console instead.
    globalThis.console = new console.Console({ stdout: stderr, stderr });
  }
}
