// Bench section: cold starts, i.e. the first request including load, digest check, spawn and
// HELLO: a JS handler against a bare `node -e 0` in the same clean environment (target <= 1.3x),
// a native handler (target < 5 ms) against the same binary spawned bare; each also with a reply
// socket, without the allocator settings and without the PID namespace, to show what those cost.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { encodeFrame, FrameType } from '@umd/core';
import { UmdManager } from '@umd/mgmt';
import { cleanEnv } from './bare-handler.mjs';
import { median } from './large-rows.mjs';

const OPT_OUT = { tuneAllocator: false };
const REPLY_SOCKET = { replySocket: true };
// The default containment (a PID namespace where the host can make one) against the process
// group alone: what the namespace and the parent-death signals cost per start.
const NO_PID_NAMESPACE = { containment: 'process-group' };

async function nodeE0() {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { env: cleanEnv, stdio: 'ignore' });
  await once(child, 'exit');
  return performance.now() - t0;
}

async function coldFirstRequest(loader, transport = {}, sandbox = undefined) {
  const t0 = performance.now();
  const m = new UmdManager({
    name: 'cold',
    loader: async () => loader,
    transport,
    sandbox,
    restartBudget: { maxStarts: 1000, windowMs: 1000 },
  });
  await m.request(new Uint8Array(64));
  const ms = performance.now() - t0;
  await m.stop();
  return ms;
}

// The machine's floor for a native first request: spawn the same binary directly, wait for its
// HELLO, send one 64 B REQUEST and wait for the REPLY; no manager, no digest check, no copy.
const floorRequest = encodeFrame(FrameType.Request, 1, new Uint8Array(64));
async function nativeSpawnToReply(file) {
  const t0 = performance.now();
  const child = spawn(file, [], {
    env: cleanEnv,
    stdio: ['pipe', 'pipe', 'ignore'],
    detached: true,
  });
  let seen = 0;
  const replied = new Promise((resolve) =>
    child.stdout.on('data', (chunk) => {
      seen += chunk.length;
      if (seen >= 16 + 8 + 'native-echo'.length + 16 + 64) resolve();
    }),
  );
  await once(child.stdout, 'data'); // HELLO
  child.stdin.write(floorRequest);
  await replied;
  const ms = performance.now() - t0;
  child.kill('SIGKILL');
  await once(child, 'exit');
  return ms;
}

// A fresh order every run (seeded, so runs are repeatable): what runs right before a case (a JS
// handler's teardown, say, which slows the next fork) must not always be the same for one case.
// A rotation would not do: each case would keep its predecessor.
function seededShuffler() {
  let seed = 0x2545f491;
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  return (list) => {
    const order = [...list];
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(random() * (k + 1));
      [order[k], order[j]] = [order[j], order[k]];
    }
    return order;
  };
}

/** `runs` cold starts of every case, in a shuffled order each time; medians in milliseconds. */
export async function measureColdStarts(jsLoader, nativeLoader, nativeFile, runs) {
  await nodeE0();
  await coldFirstRequest(jsLoader);
  await coldFirstRequest(nativeLoader);
  const cases = {
    nodeE0Ms: () => nodeE0(),
    jsHandlerMs: () => coldFirstRequest(jsLoader),
    jsHandlerReplySocketMs: () => coldFirstRequest(jsLoader, REPLY_SOCKET),
    jsHandlerOptOutMs: () => coldFirstRequest(jsLoader, OPT_OUT),
    nativeHandlerMs: () => coldFirstRequest(nativeLoader),
    nativeHandlerReplySocketMs: () => coldFirstRequest(nativeLoader, REPLY_SOCKET),
    nativeHandlerOptOutMs: () => coldFirstRequest(nativeLoader, OPT_OUT),
    nativeBareSpawnFirstReplyMs: () => nativeSpawnToReply(nativeFile),
    jsHandlerProcessGroupMs: () => coldFirstRequest(jsLoader, {}, NO_PID_NAMESPACE),
    nativeHandlerProcessGroupMs: () => coldFirstRequest(nativeLoader, {}, NO_PID_NAMESPACE),
  };
  const samples = Object.fromEntries(Object.keys(cases).map((key) => [key, []]));
  const shuffle = seededShuffler();
  for (let i = 0; i < runs; i++)
    for (const key of shuffle(Object.keys(cases))) samples[key].push(await cases[key]());
  const result = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
  return {
    ...result,
    jsRatio: result.jsHandlerMs / result.nodeE0Ms,
    jsTarget: '<= 1.3',
    nativeTarget: '< 5 ms',
    runs,
  };
}
