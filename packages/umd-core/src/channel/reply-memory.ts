import { isMainThread } from 'node:worker_threads';
import { debug } from '../shared/debug-log.js';
import { allocatePayload } from '../shared/payload-buffer.js';
import { type HostAddon, hostAddon } from './native-helper.js';
import { nudgeCount, nudgeYoungGeneration } from './young-nudge.js';

/**
 * Replies from this size on live in blocks of the native helper (`native/umd_reply_memory.c`),
 * kept for later replies once V8 has freed them, instead of in memory from Node's allocator, which
 * glibc may hand back to the kernel at any collection (then every page of the next replies
 * faults in again). Below it, replies are small enough for glibc's heap to keep.
 */
export const REPLY_MEMORY_MIN = 256 * 1024;
/** The largest block the helper makes (1 GiB); a larger reply uses Node's allocator. */
const REPLY_MEMORY_MAX = 1024 * 1024 * 1024;
/** The blocks kept for later replies go back to the kernel after this long without a large reply. */
const IDLE_TRIM_MS = 5000;

/** The helper, until it is found missing or failing (then Node's allocator, for good). */
let helper: HostAddon | null | undefined;
let idleTrim: NodeJS.Timeout | undefined;

function disable(why: string): void {
  helper = null;
  debug("reply memory: %s; large replies in Node's memory", why);
}

function trimKept(): void {
  idleTrim = undefined;
  try {
    helper?.trim();
  } catch (error) {
    disable(`trim() failed (${(error as Error)?.message})`);
  }
}

/** A block of the helper for a reply of `length` bytes, or `undefined` (Node's allocator then). */
function block(length: number): Uint8Array | undefined {
  if (helper === undefined) {
    // A worker's exit frees its external buffers, also those whose memory `transfer()` and
    // `postMessage` moved to another thread: in a worker, a block could be reused under a live view.
    if (!isMainThread) {
      disable('not in a worker thread (its exit frees buffers other threads may hold)');
      return undefined;
    }
    helper = hostAddon() ?? null;
    if (helper === null) return undefined; // the loader said why
    debug(
      'reply memory: replies of %d bytes and more in blocks of the native helper',
      REPLY_MEMORY_MIN,
    );
  }
  if (helper === null) return undefined;
  let memory: unknown;
  let out: unknown;
  try {
    memory = helper.block(length);
    out = helper.outBytes();
  } catch (error) {
    disable(`block() failed (${(error as Error)?.message})`);
    return undefined;
  }
  if (memory === undefined) return undefined; // no memory to map now: this reply from Node's
  if (!(memory instanceof ArrayBuffer) || memory.byteLength !== length) {
    disable('block() returned something other than an ArrayBuffer of the length asked');
    return undefined;
  }
  if (typeof out === 'number') nudgeYoungGeneration(out, length);
  if (idleTrim === undefined) idleTrim = setTimeout(trimKept, IDLE_TRIM_MS).unref();
  else idleTrim.refresh();
  return new Uint8Array(memory);
}

/**
 * The buffer a reply of `length` bytes is read into (a fresh one the caller then owns; contents
 * unspecified until the reader has filled all of it). Large replies get memory that stays mapped
 * from one reply to the next (see {@link REPLY_MEMORY_MIN}); `NODE_DEBUG=umd` says whether they do.
 */
export function allocateReply(length: number): Uint8Array {
  if (length >= REPLY_MEMORY_MIN && length <= REPLY_MEMORY_MAX && helper !== null)
    return block(length) ?? allocatePayload(length);
  return allocatePayload(length);
}

/** What {@link replyMemoryStats} reports: counts since the process started. */
export interface ReplyMemoryStats {
  /** Replies that got a kept block (its pages already resident). */
  reused: number;
  /** Replies that got a freshly mapped block (its pages fault in as the reply is read). */
  mapped: number;
  /** Blocks V8 freed (no view of them left) that were kept for later replies. */
  kept: number;
  /** Blocks given back to the kernel: freed beyond what is kept, or by the idle trim. */
  unmapped: number;
  /** Bytes kept right now. */
  keptBytes: number;
  /**
   * The reserve of the current burst of large replies (0 after the idle trim): blocks in it are
   * not counted as external memory by V8, so dead replies pile up that much before a mark-compact.
   */
  reserveBytes: number;
  /** Bytes of blocks handed out in the reserve and not yet freed by V8. */
  coveredBytes: number;
  /** Bytes of blocks handed out since V8 last freed one (see `young-nudge.ts`). */
  outBytes: number;
  /** Blocks that allocated garbage to bring a scavenge sooner (see `young-nudge.ts`). */
  nudges: number;
}

const STATS_FIELDS = [
  'reused',
  'mapped',
  'kept',
  'unmapped',
  'keptBytes',
  'reserveBytes',
  'coveredBytes',
  'outBytes',
] as const;

/**
 * The reply memory's counts, to tell per round trip whether a large reply reused a block or
 * mapped a new one, and when V8 gave blocks back; `undefined` where the native helper does not
 * load (replies then come from Node's allocator). Reads counters only: nothing is loaded that a
 * channel would not load.
 */
export function replyMemoryStats(): ReplyMemoryStats | undefined {
  const addon = hostAddon();
  if (addon === undefined) return undefined;
  const stats = addon.stats() as Partial<Record<keyof ReplyMemoryStats, unknown>> | null;
  const counts = {} as ReplyMemoryStats;
  for (const name of STATS_FIELDS) {
    const value = stats?.[name];
    if (typeof value !== 'number') return undefined;
    counts[name] = value;
  }
  counts.nudges = nudgeCount();
  return counts;
}

/**
 * `replyMemoryStats().outBytes` alone: one counter of the helper, where the whole stats object
 * makes eight numbers and as many property names. For a loop that samples it at every round
 * trip; `undefined` where the helper does not load.
 */
export function replyMemoryOutBytes(): number | undefined {
  const out = hostAddon()?.outBytes();
  return typeof out === 'number' ? out : undefined;
}
