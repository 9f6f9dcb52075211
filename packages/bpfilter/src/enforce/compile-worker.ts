/**
 * The compile worker's thread (table-compiler.ts starts it): compiles each table it is sent
 * (compile-table.ts) and answers with the result or why it failed. A worker thread of its
 * own because a large table's decode, plan and compile keep many short-lived objects alive at
 * once, and this thread's young generation is sized for them.
 */
import { parentPort } from 'node:worker_threads';
import { type CompileInput, compilePacked } from './compile-table.js';
import { EnforcementError } from './errors.js';
import type { WorkerAnswer, WorkerRequest } from './table-compiler.js';
import { warmUpTable } from '../model/warm-up-table.js';

/** The warm-up table (table-compiler.ts sends warm-up requests while it has no other work). */
let warmUp: CompileInput | undefined;
/** The memory of the last batch, given back once it was sent: the next batch's. */
let spare: ArrayBuffer | undefined;

parentPort?.on('message', (request: WorkerRequest) => {
  if ('recycle' in request) {
    spare = request.recycle;
    return;
  }
  if ('warm' in request) {
    warmUp ??= warmUpInput();
    compilePacked(warmUp);
    parentPort?.postMessage({ id: request.id });
    return;
  }
  const { id, input } = request;
  let answer: WorkerAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = compilePacked(input, spare);
    spare = undefined;
    // Moved, not copied: the writer's buffer is its own memory (never the shared pool).
    if (result.batch) transfer.push(result.batch.bytes.buffer as ArrayBuffer);
    transfer.push(result.plan.fields.buffer as ArrayBuffer);
    answer = { id, result };
  } catch (error) {
    answer = { id, error: describeError(error) };
  }
  parentPort?.postMessage(answer, transfer);
});

function warmUpInput(): CompileInput {
  const table = warmUpTable();
  return { name: table.name, layout: table, entries: table.entries, netlink: true };
}

function describeError(error: unknown): NonNullable<WorkerAnswer['error']> {
  if (error instanceof EnforcementError)
    return {
      message: error.message,
      enforcement: { failure: error.failure, table: error.table, extension: error.extension },
    };
  return { message: error instanceof Error ? error.message : String(error) };
}
