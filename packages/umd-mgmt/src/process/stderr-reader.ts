import type { Readable } from 'node:stream';
import { LineTail } from './line-tail.js';

/** Limits of {@link readStderr}. */
export interface StderrLimits {
  /** Lines kept for error reports. */
  tailLines: number;
  /** Stderr bytes the host reads per second at most; beyond it the pipe fills and the handler waits. */
  bytesPerSecond: number;
  /** Lines delivered to `onLine` per second at most; the rest are counted as dropped. */
  linesPerSecond: number;
}

/** Default {@link StderrLimits} (besides `tailLines`, which is an option of the manager). */
export const STDERR_LIMITS = { bytesPerSecond: 8 * 1024 * 1024, linesPerSecond: 1000 } as const;

// Budgets are refilled in slices of this length, so a burst pauses reading for at most one slice.
const SLICE_MS = 50;

/** What {@link readStderr} returns: the tail, and a way to read to the end at once. */
export interface StderrReader {
  /** Complete lines kept, oldest first (the unfinished last line included). */
  tail: LineTail;
  /** Lifts the byte budget (the handler has exited: what is left in the pipe is bounded). */
  drain(): void;
}

/**
 * Reads a handler's stderr at a bounded cost to the host: at most `bytesPerSecond` (reading
 * pauses once a slice's budget is spent), only the last `tailLines` lines decoded and kept, and
 * at most `linesPerSecond` lines handed to `onLine`; every other line is counted in `onDropped`.
 */
export function readStderr(
  stream: Readable,
  limits: StderrLimits,
  onLine: ((line: string) => void) | undefined,
  onDropped: (lines: number) => void,
): StderrReader {
  const tail = new LineTail(limits.tailLines);
  const bytesPerSlice = Math.max(1, Math.round((limits.bytesPerSecond * SLICE_MS) / 1000));
  const linesPerSlice = Math.max(1, Math.round((limits.linesPerSecond * SLICE_MS) / 1000));
  let sliceStart = 0;
  let bytes = 0;
  let lines = 0;
  let limited = true;
  let resume: NodeJS.Timeout | undefined;
  const newlines: number[] = [];

  stream.on('data', (chunk: Buffer) => {
    const now = performance.now();
    if (now - sliceStart >= SLICE_MS) {
      sliceStart = now;
      bytes = 0;
      lines = 0;
    }
    bytes += chunk.length;
    newlines.length = 0;
    for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) newlines.push(at);
    const count = newlines.length;
    // The first lines the slice still has room for are decoded and delivered...
    const deliver = onLine === undefined ? 0 : Math.min(count, linesPerSlice - lines);
    lines += deliver;
    let from = 0;
    if (deliver > 0) {
      from = newlines[deliver - 1]! + 1;
      for (const line of tail.push(chunk.subarray(0, from))) onLine!(line);
    }
    // ...of the rest only the last `tailLines` are decoded (for the tail); the others are counted.
    const keepFrom =
      count - deliver > limits.tailLines ? newlines[count - limits.tailLines - 1]! + 1 : from;
    let dropped = 0;
    if (keepFrom > from) {
      dropped += count - deliver - limits.tailLines;
      tail.skip();
    }
    dropped += tail.push(chunk.subarray(keepFrom)).length;
    if (dropped > 0) onDropped(dropped);
    if (limited && bytes >= bytesPerSlice && resume === undefined) {
      stream.pause();
      resume = setTimeout(
        () => {
          resume = undefined;
          stream.resume();
        },
        Math.max(1, SLICE_MS - (performance.now() - sliceStart)),
      );
      resume.unref();
    }
  });
  return {
    tail,
    drain: () => {
      limited = false;
      if (resume !== undefined) {
        clearTimeout(resume);
        resume = undefined;
        stream.resume();
      }
    },
  };
}
