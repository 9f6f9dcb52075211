// spawn + newline-delimited JSON on stdin/stdout: {"id","data"} lines in, {"id","result"} out.
import { createInterface } from 'node:readline';
import { echo, fault, parse } from './ops.cjs';

const job = { echo, fault, parse }[process.env.BENCH_OP];
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, data } = JSON.parse(line);
  process.stdout.write(`${JSON.stringify({ id, result: job(data) })}\n`);
});
