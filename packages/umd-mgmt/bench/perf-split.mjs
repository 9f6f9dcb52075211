// Where one process's CPU goes per large round trip, from a `perf record -g` of it: each sample is
// put in one bucket (the kernel's two copies, the rest of a read or a writev, the scheduler, V8's
// collector, the reply memory's nudge, and all other JavaScript, libuv and Node work), and each
// bucket's share is scaled to microseconds by the process's CPU per round trip, all its threads
// (`perf record -p` samples them all): large-loop.mjs's "host main" plus "its other threads" (or
// the handler's two). Run node with --perf-basic-prof so that JavaScript frames have names. The
// session 24 figures in the README came from:
//   node --perf-basic-prof bench/large-loop.mjs --count 8000 [--into] & sleep 8;
//   perf record -o host.data -g -F 2999 -p $! -- sleep 3; wait
//   perf script -i host.data | node bench/perf-split.mjs HOST_CPU_US
// (--perf-basic-prof leaves /tmp/perf-PID.map and an isolate-*-v8.log in the working directory.)
import { text } from 'node:stream/consumers';

const cpuPerRoundTrip = Number(process.argv[2]);
if (!(cpuPerRoundTrip > 0)) throw new Error('usage: perf script | node perf-split.mjs CPU_US');

/** The bucket of one sample, from its frames (leaf first). */
function bucket(frames) {
  const stack = frames.join('\n');
  if (frames[0].includes('[kernel.kallsyms]')) {
    if (/\s_copy_to_iter\+/.test(frames[0])) return 'kernel: copy to user (reads)';
    if (/\s_copy_from_iter\+/.test(frames[0])) return 'kernel: copy from user (writes)';
    if (stack.includes('ksys_read')) return 'kernel: rest of read()';
    if (stack.includes('do_writev') || stack.includes('ksys_write')) return 'kernel: rest of write';
    if (stack.includes('schedule')) return 'kernel: scheduler';
    return 'kernel: other';
  }
  if (/Heap::|Scaveng|Marking|Sweep/.test(stack)) return "user: V8's collector";
  if (stack.includes('nudgeYoungGeneration')) return "user: the reply memory's nudge";
  return 'user: JavaScript, libuv, Node';
}

const counts = new Map();
let samples = 0;
for (const sample of (await text(process.stdin)).split(/\n\s*\n/)) {
  const frames = sample
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter(Boolean);
  if (frames.length === 0) continue;
  samples++;
  const name = bucket(frames);
  counts.set(name, (counts.get(name) ?? 0) + 1);
}
console.log(`${samples} samples, ${cpuPerRoundTrip} µs of CPU per round trip`);
for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1])) {
  const share = count / samples;
  console.log(
    `  ${name.padEnd(34)} ${(share * 100).toFixed(1).padStart(5)} %  ${(share * cpuPerRoundTrip).toFixed(1).padStart(6)} µs`,
  );
}
