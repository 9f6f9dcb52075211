/**
 * The compile worker's thread (table-compiler.ts starts it): compiles each table it is sent
 * (compile-table.ts) and answers with the result or why it failed. A worker thread of its
 * own because a large table's decode, plan and compile keep many short-lived objects alive at
 * once, and this thread's young generation is sized for them.
 */
import { parentPort } from 'node:worker_threads';
import { type CompileInput, compileTable } from './compile-table.js';
import { EnforcementError } from './errors.js';
import type { WorkerAnswer } from './table-compiler.js';

parentPort?.on('message', ({ id, input }: { id: number; input: CompileInput }) => {
  let answer: WorkerAnswer;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = compileTable(input);
    if (result.batch) {
      // Moved, not copied: the writer's buffer is its own memory (never the shared pool).
      transfer.push(result.batch.bytes.buffer as ArrayBuffer);
      answer = { id, result };
    } else {
      answer = { id, result };
    }
  } catch (error) {
    answer = { id, error: describeError(error) };
  }
  parentPort?.postMessage(answer, transfer);
});

function describeError(error: unknown): NonNullable<WorkerAnswer['error']> {
  if (error instanceof EnforcementError)
    return {
      message: error.message,
      enforcement: { failure: error.failure, table: error.table, extension: error.extension },
    };
  return { message: error instanceof Error ? error.message : String(error) };
}
