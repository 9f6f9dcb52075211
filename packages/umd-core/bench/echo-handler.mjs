// The handler side of the benchmark: a synchronous echo, framed or raw (env UMD_PROTOCOL).
import { serve, serveRaw } from '@umd/core/handler';

if (process.env.UMD_PROTOCOL === 'raw') {
  await serveRaw({
    requestSize: Number(process.env.BENCH_REQUEST_SIZE),
    handle: (request) => request,
    reuseRequestBuffers: process.env.BENCH_REUSE === '1',
  });
} else {
  await serve((payload) => payload, {
    name: 'bench-echo',
    readMode: process.env.BENCH_READ_MODE || 'blocking',
    reuseRequestBuffers: process.env.BENCH_REUSE === '1',
  });
}
