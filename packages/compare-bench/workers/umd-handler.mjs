// The umd handler of the comparison: bytes in, bytes out. BENCH_OP picks the job.
import { serve } from '@umd/core/handler';
import { fault, parse } from './ops.cjs';

const op = process.env.BENCH_OP;
const decoder = new TextDecoder();
const count = new Uint8Array(4);
const view = new DataView(count.buffer);

serve(
  (payload) => {
    if (op === 'echo') return payload;
    if (op === 'fault') return new TextEncoder().encode(fault(decoder.decode(payload)));
    view.setUint32(0, parse(decoder.decode(payload)), true);
    return count.slice();
  },
  { name: 'compare', concurrency: Number(process.env.BENCH_CONCURRENCY ?? 1) },
);
