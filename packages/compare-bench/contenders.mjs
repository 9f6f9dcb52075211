// Each contender of the comparison: start(op, { memoryMb }) → { call(payload, timeoutMs?), close() }
// (timeoutMs and memoryMb where the library has them: the robustness run uses both). umd contenders take
// bytes (their native type); the others take strings (theirs). Peers run as many workers as umd's
// pool has instances (the cores), so CPU-bound throughput compares like with like.
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineLoader, UmdManager, UmdPool } from '@umd/mgmt';
import { buildBlob } from '@umd/build';
import { Piscina } from 'piscina';
import { Tinypool } from 'tinypool';
import workerpool from 'workerpool';

const workers = join(import.meta.dirname, 'workers');
export const cores = availableParallelism();

let blob;
async function umdLoader() {
  if (!blob) {
    const outDir = mkdtempSync(join(tmpdir(), 'umd-compare-'));
    process.once('exit', () => rmSync(outDir, { recursive: true, force: true }));
    const built = await buildBlob({
      entry: join(workers, 'umd-handler.mjs'),
      outDir,
      name: 'compare',
    });
    blob = { script: built.file, sha256: built.sha256 };
  }
  return defineLoader({ name: 'compare', mode: 'framed', ...blob });
}

function umd(name, options) {
  return {
    name,
    bytes: true,
    async start(op, { memoryMb } = {}) {
      const loader = await umdLoader();
      const concurrency = String(options.maxInFlight ?? 1);
      const env = { BENCH_OP: op, BENCH_CONCURRENCY: concurrency };
      const sandbox = memoryMb ? { maxOldSpaceSizeMb: memoryMb } : {};
      const all = { name: 'compare', loader, env, sandbox, ...options };
      const target = options.instances ? new UmdPool(all) : new UmdManager(all);
      await target.start();
      return {
        call: (payload, timeoutMs) => target.request(payload, timeoutMs ? { timeoutMs } : {}),
        close: () => target.stop(),
      };
    },
  };
}

/** One Node child, pipelined requests matched by id (fork IPC or NDJSON). */
function idMatched(child, send) {
  const pending = new Map();
  let next = 0;
  const settle = ({ id, result }) => {
    pending.get(id)(result);
    pending.delete(id);
  };
  return {
    settle,
    call: (data) =>
      new Promise((resolve, reject) => {
        const id = next++;
        pending.set(id, resolve);
        send(id, data, reject);
      }),
    close: async () => {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

const runOptions = (name, timeoutMs) =>
  timeoutMs ? { name, signal: AbortSignal.timeout(timeoutMs) } : { name };
const heapCap = (memoryMb) => (memoryMb ? [`--max-old-space-size=${memoryMb}`] : []);
const threadCap = (memoryMb) =>
  memoryMb ? { resourceLimits: { maxOldGenerationSizeMb: memoryMb } } : {};

/** piscina and tinypool share one API: a pool of `cores` workers running pool-worker.mjs's exports. */
function taskPool(name, Pool, memoryOptions) {
  return {
    name,
    async start(op, { memoryMb } = {}) {
      const pool = new Pool({
        ...memoryOptions(memoryMb),
        filename: join(workers, 'pool-worker.mjs'),
        minThreads: cores,
        maxThreads: cores,
      });
      return {
        call: (data, ms) => pool.run(data, runOptions(op, ms)),
        close: () => pool.destroy(),
      };
    },
  };
}

export const contenders = [
  umd('umd defaults', {}),
  umd('umd maxInFlight 16', { maxInFlight: 16 }),
  umd(`umd pool ${cores}`, { instances: cores }),
  umd(`umd pool ${cores} x maxInFlight 16`, { instances: cores, maxInFlight: 16 }),
  umd('umd pool auto', { instances: 'auto' }),
  taskPool(`piscina ${cores} threads`, Piscina, threadCap),
  taskPool(`tinypool ${cores} threads`, Tinypool, threadCap),
  taskPool(`tinypool ${cores} processes`, Tinypool, (memoryMb) => ({
    execArgv: heapCap(memoryMb),
    runtime: 'child_process',
  })),
  {
    name: `workerpool ${cores} processes`,
    async start(op, { memoryMb } = {}) {
      const pool = workerpool.pool(join(workers, 'workerpool-worker.cjs'), {
        workerType: 'process',
        forkOpts: { execArgv: heapCap(memoryMb) },
        minWorkers: cores,
        maxWorkers: cores,
      });
      return {
        call: (data, ms) => (ms ? pool.exec(op, [data]).timeout(ms) : pool.exec(op, [data])),
        close: () => pool.terminate(true),
      };
    },
  },
  {
    name: 'fork advanced',
    async start(op, { memoryMb } = {}) {
      const child = fork(join(workers, 'fork-child.mjs'), {
        serialization: 'advanced',
        execArgv: heapCap(memoryMb),
        env: { ...process.env, BENCH_OP: op },
      });
      // A send on a closed channel fails through its callback (otherwise an 'error' event).
      const link = idMatched(child, (id, data, reject) =>
        child.send({ id, data }, (error) => error && reject(error)),
      );
      child.on('message', link.settle);
      return link;
    },
  },
  {
    name: 'spawn + NDJSON',
    async start(op, { memoryMb } = {}) {
      const script = join(workers, 'ndjson-child.mjs');
      const child = spawn(process.execPath, [...heapCap(memoryMb), script], {
        env: { ...process.env, BENCH_OP: op },
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      // A write to a dead child fails through its callback; the stream's own 'error' is the same.
      child.stdin.on('error', () => {});
      const link = idMatched(child, (id, data, reject) =>
        child.stdin.write(`${JSON.stringify({ id, data })}\n`, (error) => error && reject(error)),
      );
      let rest = '';
      child.stdout.setEncoding('utf8').on('data', (chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop();
        for (const line of lines) link.settle(JSON.parse(line));
      });
      return link;
    },
  },
];
