// The bench handler: a plain echo through @umd/core's serve(), with its defaults (a fresh buffer
// per request). large-probe.mjs --reuse-request-buffers sets BENCH_REUSE_REQUEST_BUFFERS=1 in its
// environment to measure the opt-in that reads requests into reused memory instead.
import { serve } from '@umd/core/handler';

// No top-level await, so buildBlob can emit CommonJS (faster to start than ESM on Node 20).
serve((payload) => payload, {
  name: 'bench-echo',
  reuseRequestBuffers: process.env.BENCH_REUSE_REQUEST_BUFFERS === '1',
});
