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
/** Elements of one garbage array: 64 KiB of 8-byte slots, below V8's large-object size. */
const JUNK_LENGTH = 8192;
const JUNK_BYTES = JUNK_LENGTH * 8;

/** Where the garbage is stored while it is made, so no compiler drops the allocations. */
const junk: unknown[] = [];
let nudges = 0;

/** Called for each block of `length` bytes handed out, with the bytes out since the last release. */
export function nudgeYoungGeneration(outBytes: number, length: number): void {
  if (outBytes <= NUDGE_AFTER || outBytes > NUDGE_AFTER + NUDGE_SPAN) return;
  nudges++;
  const count = Math.ceil(Math.min(length / 2, NUDGE_MAX) / JUNK_BYTES);
  for (let i = 0; i < count; i++) junk[i] = new Array(JUNK_LENGTH);
  junk.length = 0;
}

/** Blocks that nudged the young generation, since the process started. */
export function nudgeCount(): number {
  return nudges;
}
