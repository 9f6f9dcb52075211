/**
 * Keeps stray output away from fd 1, which carries the wire protocol: after this, `process.stdout`
 * is `process.stderr`, and the global console writes both streams to stderr. The real fd 1 is
 * written only by the runtime, with `fs.writeSync`. Code that grabbed `process.stdout` before
 * this ran still holds the real stream, so call `serve()` first thing.
 */
export function guardStdout(): void {
  // Lazily: creating process.stderr (a pipe stream) is a noticeable part of a handler's startup.
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: true,
    get: () => process.stderr,
  });
  // The global console caches its stream on first use; point it at stderr in case that happened.
  try {
    Object.defineProperty(console, '_stdout', {
      configurable: true,
      enumerable: false,
      get: () => process.stderr,
      set: () => {},
    });
  } catch {
    // Not redefinable in this runtime: replace the console instead.
    globalThis.console = new console.Console({ stdout: process.stderr, stderr: process.stderr });
  }
}
