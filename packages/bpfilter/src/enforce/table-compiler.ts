/**
 * Compiles tables for enforcement (compile-table.ts) in a worker thread kept running
 * (compile-worker.ts), so that the work runs with a young generation sized for a large
 * table's short-lived objects; on this thread when the worker was not built (running from
 * sources) or stopped working.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type CompiledTable, type CompileInput, compileTable } from './compile-table.js';
import { type EnforcementFailure, EnforcementError } from './errors.js';
import { type PackedPlan, unpackPlan } from './plan-transfer.js';
import { WARM_UP_COMPILES } from '../model/warm-up-table.js';

/**
 * A request to the worker: a table to compile, a warm-up compile (answered `{ id }`), or a
 * sent batch's memory for the next one (not answered).
 */
export type WorkerRequest =
  | { id: number; input: CompileInput }
  | { id: number; warm: true }
  | { recycle: ArrayBuffer };

/** What the worker answers to one request. */
export interface WorkerAnswer {
  id: number;
  /** The compiled table, its plan packed (plan-transfer.ts). */
  result?: Omit<CompiledTable, 'plan'> & { plan: PackedPlan };
  error?: {
    message: string;
    enforcement?: { failure: EnforcementFailure; table?: string; extension?: string };
  };
}

/**
 * The worker's young generation. Decoding, planning and compiling a 5,000-rule table keeps
 * tens of MB of objects alive until the batch is written; with Node's default the scavenger
 * copies them several times over. A cap: V8 starts the semi-spaces at a few MB and grows them
 * towards it as scavenges keep objects alive. Starting them at the cap (a V8 flag set around
 * the worker's start) saved no CPU measurably (the enforcement history, session 20).
 */
const YOUNG_GENERATION_MB = 192;

interface Pending {
  input: CompileInput;
  /** The input's entries were moved into the worker: none left to compile here. */
  given: boolean;
  resolve: (result: CompiledTable) => void;
  reject: (error: unknown) => void;
}

/** The built worker next to this module in `dist`, or undefined (running from sources). */
function workerFile(): string | undefined {
  const path = fileURLToPath(new URL('./enforce-compile-worker.js', import.meta.url));
  return existsSync(path) ? path : undefined;
}

/** Compiles tables, in the worker when there is one. */
export class TableCompiler {
  readonly #file: string | undefined;
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;
  /** Warm-up compiles still to send, one at a time, while no table waits. */
  #warmUps = 0;
  /** The id of the warm-up compile the worker is running, if any. */
  #warming: number | undefined;

  /** `worker`: the worker's script; false compiles on this thread. Default: the built one. */
  constructor(worker: string | false | undefined = workerFile()) {
    this.#file = worker === false ? undefined : worker;
  }

  /**
   * Compiles `input`. `give`: its entries' memory is the compile's to take, moved into the
   * worker instead of copied (when they are all of their ArrayBuffer); the caller must not use
   * them after.
   * @throws EnforcementError `untranslatable`; an Error for entries that are not a table, or
   * given entries the worker stopped before compiling.
   */
  compile(input: CompileInput, give = false): Promise<CompiledTable> {
    const worker = this.#started();
    if (worker === undefined) return Promise.resolve().then(() => compileTable(input));
    const id = this.#nextId++;
    const { buffer, byteOffset, byteLength } = input.entries;
    const given = give && byteOffset === 0 && byteLength === buffer.byteLength;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { input, given, resolve, reject });
      const transfer = given ? [buffer as ArrayBuffer] : [];
      worker.postMessage({ id, input } satisfies WorkerRequest, transfer);
    });
  }

  /**
   * Starts the worker now, if it is not running (it otherwise starts with the first compile):
   * a thread and a module load that the first replaced table need not wait for. A new worker
   * then compiles a warm-up table a few times (warm-up-table.ts) while no table waits: a
   * table sent meanwhile waits for one warm-up compile at most.
   */
  start(): void {
    this.#started();
  }

  /**
   * Gives the memory of a compiled batch (`bytes`) back to the worker, to write the next batch
   * into: a fresh 1 MB is 256 page faults. Only once the batch is sent and answered (nothing
   * reads it any more); `bytes` is empty after.
   */
  recycle(bytes: Uint8Array): void {
    const worker = this.#worker;
    const { buffer } = bytes;
    if (worker === undefined || !(buffer instanceof ArrayBuffer) || buffer.byteLength === 0) return;
    worker.postMessage({ recycle: buffer } satisfies WorkerRequest, [buffer]);
  }

  /** Stops the worker (idempotent); the next compile starts another. */
  close(): void {
    const worker = this.#worker;
    this.#worker = undefined;
    void worker?.terminate();
    this.#failPending();
  }

  #started(): Worker | undefined {
    if (this.#worker !== undefined || this.#file === undefined) return this.#worker;
    const worker = new Worker(this.#file, {
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      // Not piped to this process's stdout and stderr: that would open them as streams,
      // which makes a pipe non-blocking for every process sharing it (`bpfilter exec`'s
      // command then lost output when its reader was slow). The worker prints nothing.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    // A worker waiting for work must not keep the service from ending.
    worker.unref();
    worker.on('message', (answer: WorkerAnswer) => this.#answered(answer));
    const lost = () => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.#failPending();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    this.#worker = worker;
    this.#warmUps = WARM_UP_COMPILES;
    this.#warming = undefined;
    this.#warmUp();
    return worker;
  }

  /** Sends the next warm-up compile if the worker has nothing else to do. */
  #warmUp(): void {
    const worker = this.#worker;
    if (worker === undefined || this.#warmUps === 0 || this.#warming !== undefined) return;
    if (this.#pending.size > 0) return;
    this.#warmUps--;
    this.#warming = this.#nextId++;
    worker.postMessage({ id: this.#warming, warm: true } satisfies WorkerRequest);
  }

  #answered({ id, result, error }: WorkerAnswer): void {
    if (id === this.#warming) {
      this.#warming = undefined;
      this.#warmUp();
      return;
    }
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    if (result !== undefined) {
      // Structured cloning hands a Buffer over as a plain Uint8Array.
      const bytes = result.batch?.bytes;
      const batch = bytes && {
        ...result.batch!,
        bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      };
      const plan = unpackPlan(result.plan);
      pending.resolve(batch ? { ...result, plan, batch } : { ...result, plan });
    } else pending.reject(rebuild(error));
    this.#warmUp();
  }

  /**
   * Requests the worker will not answer any more are compiled here instead; those whose
   * entries were given to it fail (the early compile's caller then compiles its own copy).
   */
  #failPending(): void {
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const { input, given, resolve, reject } of pending) {
      try {
        if (given) throw new Error('bpfilter enforcement: the compile worker stopped');
        resolve(compileTable(input));
      } catch (error) {
        reject(error);
      }
    }
  }
}

function rebuild(error: WorkerAnswer['error']): Error {
  const message = error?.message ?? 'the compile worker sent an empty answer';
  const enforcement = error?.enforcement;
  if (enforcement === undefined) return new Error(message);
  return new EnforcementError(enforcement.failure, message, {
    table: enforcement.table,
    extension: enforcement.extension,
  });
}
