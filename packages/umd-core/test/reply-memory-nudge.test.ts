import { GCProfiler, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { hostAddon } from '../src/channel/native-helper.js';
import {
  allocateReply,
  replyMemoryOutBytes,
  replyMemoryStats,
} from '../src/channel/reply-memory.js';
import { NUDGE_AFTER, NUDGE_SPAN } from '../src/channel/young-nudge.js';

// A file of its own: the counts below start from a process whose replies are all this file's.
// Dead replies come back when V8 collects them; from NUDGE_AFTER bytes out with none back, each
// new block allocates short-lived garbage so that a scavenge (not a mark-compact) frees them.
const MiB = 1024 * 1024;
const turn = () => new Promise((resolve) => setImmediate(resolve));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Young-generation collections V8 ran during `work` (GCProfiler: Node's public record of them). */
function scavengesDuring(work: () => void): number {
  const profiler = new GCProfiler();
  profiler.start();
  work();
  const runs = profiler.stop()?.statistics ?? [];
  return runs.filter((run) => run.gcType === 'Scavenge' || run.gcType === 'MinorMarkSweep').length;
}

describe('reply memory: the young generation is nudged', () => {
  it('only from NUDGE_AFTER bytes out to NUDGE_SPAN more, and then the young generation is collected: replies the application keeps are left alone past that', async () => {
    expect(hostAddon(), 'the native helper is built and loads').toBeDefined();
    const before = replyMemoryStats()!;
    expect(before.outBytes, 'no block handed out yet in this process').toBe(0);
    expect(NUDGE_AFTER / MiB).toBe(32);
    const held: Uint8Array[] = [];
    // 1 MiB replies fill their blocks exactly: block n is handed out with n MiB out. Handing out
    // a block allocates next to nothing on V8's heap (its memory is the helper's), so in a loop
    // with no await (no other code runs) only a nudge's garbage can fill the young generation,
    // which a full collection has just emptied: a scavenge within the nudged blocks is the
    // nudge's doing, and none before or after them says that nothing else brought one.
    const hold = (first: number, last: number) => () => {
      for (let n = first; n <= last; n++) held.push(allocateReply(MiB));
    };
    gc();
    const below = scavengesDuring(hold(1, 32));
    const nudged = scavengesDuring(hold(33, 96));
    const past = scavengesDuring(hold(97, 120));
    const after = replyMemoryStats()!;
    expect(after.outBytes).toBe(120 * MiB);
    expect(replyMemoryOutBytes(), 'the counter alone, as the stats read it').toBe(120 * MiB);
    expect(after.nudges - before.nudges).toBe(NUDGE_SPAN / MiB);
    expect({ below, past }, 'no scavenge without the nudge').toEqual({ below: 0, past: 0 });
    expect(nudged, 'the nudged blocks brought a scavenge').toBeGreaterThan(0);
    // Freed: a released block starts the count again.
    held.length = 0;
    for (let i = 0; i < 200 && replyMemoryStats()!.outBytes > 0; i++) {
      gc();
      await turn();
      await sleep(10);
    }
    expect(replyMemoryStats()!.outBytes).toBe(0);
    expect(replyMemoryOutBytes()).toBe(0);
    expect(held).toEqual([]);
  });

  // No bound on the bytes out here: how soon a nudged scavenge comes depends on the size V8 has
  // grown its young generation to, which the garbage of one window may not fill (a probe on
  // Node 24 and 26: 44 to 59 MiB out in a fresh process's first loops, 80 to 139 MiB in later
  // ones; bounded at 56 MiB, this test failed 3 runs of 6 there). The effect is measured in
  // umd-mgmt's bench/large-loop.mjs, not asserted in a test.
  it('a loop of replies dropped at once: they come back without a forced collection, and the young generation is nudged while they are out', async () => {
    const start = replyMemoryStats()!;
    let most = 0;
    for (let i = 0; i < 400; i++) {
      const reply = allocateReply(MiB);
      reply[0] = i;
      most = Math.max(most, replyMemoryStats()!.outBytes);
      // A round trip's turn of the event loop: Node runs the finalizers of freed blocks there.
      await turn();
    }
    const end = replyMemoryStats()!;
    // Half or more back: V8 collects at least once its external-memory count has grown 64 MiB,
    // so what is still out at the end is the last window (up to 139 MiB seen, see above).
    expect(end.kept + end.unmapped - start.kept - start.unmapped).toBeGreaterThanOrEqual(200);
    expect(end.nudges, 'the young generation was nudged').toBeGreaterThan(start.nudges);
    expect(most, 'blocks were out past NUDGE_AFTER').toBeGreaterThan(NUDGE_AFTER);
  });
});
