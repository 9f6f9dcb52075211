// The umd handler of the comparison. BENCH_OP picks the job: echo and fault take and return
// bytes (serve); parse is typed (serveContract, a JSON request and reply), as a driver would
// declare it, with the request buffers that such a contract reuses by default.
import { defineContract, json } from '@umd/core/contract';
import { serve, serveContract } from '@umd/core/handler';
import { count, fault } from './ops.cjs';

const op = process.env.BENCH_OP;
const options = { name: 'compare', concurrency: Number(process.env.BENCH_CONCURRENCY ?? 1) };

if (op === 'parse') {
  // json() decodes the request text (JSON.parse); counting is parse()'s job on the value.
  const contract = defineContract({ request: json(), reply: json() });
  serveContract(contract, (value) => count(value), options);
} else {
  const decoder = new TextDecoder();
  serve(
    (payload) =>
      op === 'echo' ? payload : new TextEncoder().encode(fault(decoder.decode(payload))),
    options,
  );
}
