/**
 * Makes V8 free dead replies at a scavenge before its external-memory heuristic frees them with a
 * mark-compact. Each large reply is an ArrayBuffer over a block of the native helper, which V8
 * counts as external memory; a dead reply's block comes back only when V8 collects the reply.
 * V8 starts a mark-compact (marking the whole heap, with threads that compete with the handler for
 * CPU) once its external-memory count has grown 64 MiB since the last one, while a scavenge, which
 * frees the young dead replies at a fraction of that cost, comes when the young generation is
 * full: of a host's own small objects, which a loop of large round trips hardly allocates, or
 * (Node 20 and 22) once 32 MiB of young ArrayBuffers are out. So on Node 24 and 26 a loop of large
 * replies ran mostly mark-compacts (measured: the README's "young generation is nudged").
 *
 * From NUDGE_AFTER bytes of blocks handed out with none coming back, each new block therefore
 * allocates short-lived garbage on V8's heap (half the block's size, at most NUDGE_MAX), which
 * fills the young generation so a scavenge runs soon. Up to NUDGE_SPAN more: past that, scavenges
 * have run and the replies are still held (the application keeps them), so more garbage would
 * free nothing. Plain JavaScript allocations: no V8 flag, no forced collection.
 */
export const NUDGE_AFTER = 32 * 1024 * 1024;
export const NUDGE_SPAN = 64 * 1024 * 1024;
const NUDGE_MAX = 2 * 1024 * 1024;
/**
 * Elements of one garbage array: 62.5 KiB of 8-byte slots, below V8's large-object size. Arrays
 * of 8,192 (64 KiB), as before session 27, left Node 24 in mark-compacts as well, with the local
 * array below or without it: young pages of them survived the mark-compacts whole and moved to the
 * old generation (`--trace-page-promotions`); why that size and not this one is not known.
 */
const JUNK_LENGTH = 8000;
const JUNK_BYTES = JUNK_LENGTH * 8;

let nudges = 0;

/**
 * Called for each block of `length` bytes handed out, with the bytes out since the last release.
 * Returns how many garbage arrays it made, so no compiler drops them. They are held only by a
 * local array while they are made: in a long-lived one (a module-level array, as before session
 * 27) a nudge made while a mark-compact was marking could be kept alive by V8's write barrier
 * through that collection and promoted, bringing the next one sooner; on Node 24 that, with
 * arrays of 8,192 elements, left long loops in mark-compacts (the umd-mgmt README's "Session 27").
 */
export function nudgeYoungGeneration(outBytes: number, length: number): number {
  if (outBytes <= NUDGE_AFTER || outBytes > NUDGE_AFTER + NUDGE_SPAN) return 0;
  nudges++;
  const count = Math.ceil(Math.min(length / 2, NUDGE_MAX) / JUNK_BYTES);
  const junk: unknown[] = [];
  for (let i = 0; i < count; i++) junk.push(new Array(JUNK_LENGTH));
  return junk.length;
}

/** Blocks that nudged the young generation, since the process started. */
export function nudgeCount(): number {
  return nudges;
}
