/**
 * One of enforcement's native helpers kept running in its `--serve` mode
 * (native/helper_serve.h): requests go down its stdin, answers come back on its stdout, one
 * at a time, so a counter read or a transaction costs no process start. The helper exits when
 * its stdin closes, so it never outlives the service; one that dies is started again by the
 * next request, and the requests it had are answered with an error.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { accessSync, chmodSync, closeSync, constants, existsSync, statSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { EnforcementError } from './errors.js';
import { openSharedFile, SHARED_MIN_BYTES, sharedHeader, writeShared } from './shared-request.js';

/**
 * The built helper `name` (`dist/native/NAME`, next to the bundled modules), or undefined
 * when the package was built without a C compiler.
 */
export function builtHelper(name: string): string | undefined {
  return runnableHelper(fileURLToPath(new URL(`./native/${name}`, import.meta.url)));
}

/**
 * `path` when it exists and can be run, else undefined (enforcement then uses nft, as without
 * the helper). Package managers pack every file but a package's `bin` with mode 0644 (pnpm
 * pack, so the registry's tarball too): an installed helper has lost its execute bits, and
 * gets them back here as npm gives them to a bin, where its reader may execute it. Where that
 * is not allowed (a package installed by another user), the helper is not used.
 */
export function runnableHelper(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const runnable = () => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (runnable()) return path;
  try {
    const mode = statSync(path).mode & 0o777;
    chmodSync(path, mode | ((mode & 0o444) >> 2));
  } catch {
    return undefined;
  }
  return runnable() ? path : undefined;
}

/** One answer: the status the one-shot run would have exited with, and what it printed. */
export interface HelperAnswer {
  code: number;
  output: string;
}

/** Errors of requests whose helper died before answering (worth one more try). */
const gone = new WeakSet<object>();

interface Waiting {
  resolve: (answer: HelperAnswer) => void;
  reject: (error: Error) => void;
}

/** A helper process in `--serve` mode. */
export class HelperProcess {
  readonly #program: string;
  readonly #args: readonly string[];
  #child: ChildProcessByStdio<Writable, Readable, null> | undefined;
  readonly #waiting: Waiting[] = [];
  #chunks: Buffer[] = [];
  #buffered = 0;
  readonly #sharing: boolean;
  /** The helper's fd 3 (shared-request.ts), while it runs; undefined: requests go by stdin. */
  #shared: number | undefined;

  /**
   * Runs `program ...args --serve` (args: e.g. a wrapper's own, before the helper's path).
   * `shared`: large requests go through a shared file in memory (for the batch helper).
   */
  constructor(program: string, args: readonly string[] = [], { shared = false } = {}) {
    this.#program = program;
    this.#args = args;
    this.#sharing = shared;
  }

  /** The running helper's process id (diagnostics, tests); undefined while none runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Sends `request` and resolves with the helper's answer. A helper found dead (killed by
   * someone) gets the request once more, freshly started: reads and replace transactions are
   * both safe to repeat. An abort rejects with the signal's reason and stops the helper.
   */
  async request(request: Uint8Array, signal?: AbortSignal): Promise<HelperAnswer> {
    try {
      return await this.#send(request, signal);
    } catch (error) {
      if (!gone.has(error as object) || signal?.aborted) throw error;
      return this.#send(request, signal);
    }
  }

  #send(request: Uint8Array, signal?: AbortSignal): Promise<HelperAnswer> {
    signal?.throwIfAborted();
    const child = this.#start();
    return new Promise((resolve, reject) => {
      // An abandoned request leaves the helper mid-answer: end it (the next request restarts it).
      const abort = () => {
        reject(signal?.reason);
        this.close();
      };
      signal?.addEventListener('abort', abort, { once: true });
      const settled = () => signal?.removeEventListener('abort', abort);
      this.#waiting.push({
        resolve: (answer) => {
          settled();
          resolve(answer);
        },
        reject: (error) => {
          settled();
          reject(error);
        },
      });
      this.#ref(true);
      // The shared file holds one request: only when no other is on its way.
      const shared = this.#shared;
      if (
        shared !== undefined &&
        this.#waiting.length === 1 &&
        request.length >= SHARED_MIN_BYTES &&
        writeShared(shared, request)
      ) {
        child.stdin.write(sharedHeader(request.length));
        return;
      }
      const header = Buffer.alloc(4);
      header.writeUInt32LE(request.length);
      child.stdin.write(header);
      child.stdin.write(request);
    });
  }

  /** Stops the helper (idempotent); waiting requests fail. */
  close(): void {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    child.kill('SIGKILL');
    if (this.#shared !== undefined) closeSync(this.#shared);
    this.#shared = undefined;
    this.#failAll(`${this.#program} was stopped`);
  }

  #start(): ChildProcessByStdio<Writable, Readable, null> {
    if (this.#child !== undefined) return this.#child;
    if (this.#sharing) this.#shared ??= openSharedFile();
    const shared = this.#shared === undefined ? [] : [this.#shared];
    // stdin and stdout piped, whatever follows them: the overload's type says so.
    const child = spawn(this.#program, [...this.#args, '--serve'], {
      stdio: ['pipe', 'pipe', 'inherit', ...shared],
    }) as ChildProcessByStdio<Writable, Readable, null>;
    this.#child = child;
    this.#chunks = [];
    this.#buffered = 0;
    // Output a dead helper left in the pipe is not the next one's.
    child.stdout.on('data', (chunk: Buffer) => this.#child === child && this.#read(chunk));
    child.stdin.on('error', () => {}); // a dead helper is reported by its exit
    child.once('error', (error) => this.#gone(child, error.message));
    child.once('exit', (code, signal) => this.#gone(child, `exited (${signal ?? code})`));
    return child;
  }

  #read(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= 8) {
      if (this.#chunks[0]!.length < 8) this.#chunks = [Buffer.concat(this.#chunks)];
      const size = this.#chunks[0]!.readUInt32LE(4);
      if (this.#buffered < 8 + size) return;
      // Copied once, when the whole answer is there.
      const all = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
      const answer = { code: all.readUInt32LE(0), output: all.toString('utf8', 8, 8 + size) };
      const rest = all.subarray(8 + size);
      this.#chunks = rest.length > 0 ? [rest] : [];
      this.#buffered = rest.length;
      this.#waiting.shift()?.resolve(answer);
      if (this.#waiting.length === 0) this.#ref(false);
    }
  }

  #gone(child: ChildProcessByStdio<Writable, Readable, null>, why: string): void {
    // A helper stopped by close() failed its requests then; the ones waiting now are its
    // successor's.
    if (this.#child !== child) return;
    this.#child = undefined;
    this.#failAll(`${this.#program} ${why}`);
  }

  #failAll(why: string): void {
    for (const waiting of this.#waiting.splice(0)) {
      const error = new EnforcementError('unavailable', `bpfilter enforcement: ${why}`);
      gone.add(error);
      waiting.reject(error);
    }
  }

  /** An idle helper must not keep the process alive; one that owes an answer must. */
  #ref(on: boolean): void {
    const child = this.#child;
    if (child === undefined) return;
    for (const handle of [child, child.stdin, child.stdout] as { ref(): void; unref(): void }[])
      on ? handle.ref() : handle.unref();
  }
}
