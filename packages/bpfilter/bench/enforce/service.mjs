// `bpfilter serve --enforce` in a namespace, started and warmed up as the bench needs it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/bpfilter.js', import.meta.url));

/**
 * The Node and V8 flags the service runs with: those the installed command's first line gives
 * node (`#!/usr/bin/env -S node FLAGS`), as `bpfilter serve` run from a shell gets them; with
 * BENCH_SERVICE_FLAGS set, those instead (empty: none), to compare.
 */
function serviceFlags() {
  const given = process.env.BENCH_SERVICE_FLAGS;
  const line =
    given ??
    readFileSync(BIN, 'utf8')
      .split('\n', 1)[0]
      .replace(/^#!.*?\bnode\b/, '');
  return line.split(' ').filter(Boolean);
}
let running; // the service's process until it has been stopped

/**
 * Starts the service in namespace `ns` on `socketPath` and resolves once it has warmed up.
 * `child` is the service's process; `warmedUp` its warm-up line; `log()` all it (and its
 * helpers) wrote to stderr so far, a file beside the socket (copied to the bench's stderr at
 * the end when `trace`). A file, not a pipe: the rounds run synchronously (execFileSync), so
 * nothing reads a pipe meanwhile, and a service whose stderr pipe filled (NODE_DEBUG's lines
 * of a few rounds) waited in write(2) while the restore waited for the service.
 */
export async function startService(ns, socketPath, trace) {
  const logFile = join(dirname(socketPath), 'service.log');
  const stderr = openSync(logFile, 'w');
  const profileDir = process.env.BENCH_CPU_PROF;
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawn(
    'nsenter',
    // BENCH_CPU_PROF=DIR: a V8 CPU profile of the service, written into DIR when it stops.
    [
      '-t',
      ns.pid,
      '-n',
      process.execPath,
      ...serviceFlags(),
      ...profileArgs,
      CLI,
      'serve',
      '--enforce',
      '--verbose',
      '--socket',
      socketPath,
    ],
    { stdio: ['ignore', 'ignore', stderr] },
  );
  closeSync(stderr);
  running = child;
  const log = () => readFileSync(logFile, 'utf8');
  let exited;
  child.once('exit', (code) => {
    exited = new Error(`serve exited ${code}: ${log()}`);
  });
  // The rounds start once the service has warmed up (its own warm-up, while it listens),
  // as an administrator's first restore a second after the start would find it.
  for (;;) {
    if (exited) throw exited;
    const warm = /bpfilter serve: (warmed up|warm-up failed)[^\n]*/.exec(log());
    if (warm) return { child, warmedUp: warm[0], log, trace };
    await sleep(20);
  }
}

/** Stops the service and waits for it to exit; with `trace`, copies its stderr to the bench's. */
export async function stopService({ child, log, trace }) {
  child.kill('SIGTERM');
  await new Promise((resolve) => child.once('exit', resolve));
  running = undefined;
  if (trace) process.stderr.write(log());
}

/** Kills a service not stopped yet (synchronous: it runs in the process's exit handler). */
export function killService() {
  running?.kill('SIGKILL');
}

// Where an enforced restore's CPU goes: the service's main thread, its other threads (the
// compile worker, V8's collector), the handler's main thread and its other threads (V8's
// compiler and collector: what a warm-up that missed some of its path leaves to the restores),
// the two helpers.
export const servicePart = (cmdline, isMain) =>
  /bpfilter_nft_batch/.test(cmdline)
    ? 'batch helper'
    : /bpfilter_nft_counters/.test(cmdline)
      ? 'counters helper'
      : / serve --enforce /.test(cmdline)
        ? isMain
          ? 'service: main thread'
          : 'service: other threads (compile worker, GC)'
        : isMain
          ? 'handler: main thread'
          : 'handler: other threads (V8)';
