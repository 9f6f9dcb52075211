// child_process.fork with serialization 'advanced': { id, data } in, { id, result } out.
import { echo, fault, parse } from './ops.cjs';

const job = { echo, fault, parse }[process.env.BENCH_OP];
process.on('message', ({ id, data }) => process.send({ id, result: job(data) }));
