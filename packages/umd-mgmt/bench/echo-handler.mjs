// The bench handler: a plain echo through @umd/core's serve(), with its defaults (a fresh buffer
// per request). large-probe.mjs --reuse-request-buffers sets BENCH_REUSE_REQUEST_BUFFERS=1 in its
// environment to measure the opt-in that reads requests into reused memory instead.
// large-loop.mjs --handler-gc sets BENCH_GC_PROBE=1: then a 1-byte request starts counting the
// handler's collections and the next one answers the counts (see gcProbe); any other is echoed.
import { serve } from '@umd/core/handler';

// No top-level await, so buildBlob can emit CommonJS (faster to start than ESM on Node 20).
serve(process.env.BENCH_GC_PROBE === '1' ? gcProbe() : (payload) => payload, {
  name: 'bench-echo',
  reuseRequestBuffers: process.env.BENCH_REUSE_REQUEST_BUFFERS === '1',
});

/**
 * An echo that also counts the handler's garbage collections by kind (`v8.GCProfiler`: a
 * handler reading with blocking reads never turns its event loop, so a PerformanceObserver would
 * see nothing): the first 1-byte request starts counting, the next answers
 * `{ Scavenge, MarkSweepCompact, ..., pauseUs }` as JSON and stops.
 */
function gcProbe() {
  // Loaded only here, so that the plain echo's start loads nothing more.
  const v8 = process.getBuiltinModule('node:v8');
  let profiler;
  return (payload) => {
    if (payload.byteLength !== 1) return payload;
    if (profiler === undefined) {
      profiler = new v8.GCProfiler();
      profiler.start();
      return payload;
    }
    const counts = { pauseUs: 0 };
    for (const { gcType, cost } of profiler.stop().statistics) {
      counts[gcType] = (counts[gcType] ?? 0) + 1;
      counts.pauseUs += cost;
    }
    profiler = undefined;
    return new TextEncoder().encode(JSON.stringify(counts));
  };
}
