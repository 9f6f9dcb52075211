import { type ChildProcess, spawn } from 'node:child_process';
import { isAlive } from '../../src/testing/process-table.js';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type FramedChannel, openReplySocket, type ReplySocket } from '../../src/index.js';
import { sameBytes } from '../../src/testing/same-bytes.js';
import { compileC } from './compile.js';

// Byte equality without a vitest diff of megabytes (the tests take it from here).
export { sameBytes };

/** Absolute path of a fixture in test/fixtures. */
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * The JS and the C echo handler, for a suite that runs its tests against each: echo.c is
 * compiled (as `name`) before the suite's tests and removed after them; `file()` is for tests.
 */
export function echoHandlers(name: string, cLabel = 'C'): { lang: string; file: () => string }[] {
  let echoC: Awaited<ReturnType<typeof compileC>> | undefined;
  beforeAll(async () => {
    echoC = await compileC(fixture('echo.c'), name);
  });
  afterAll(() => echoC?.cleanup());
  return [
    { lang: 'JS', file: () => fixture('echo.mjs') },
    { lang: cLabel, file: () => echoC!.executable },
  ];
}

export interface SpawnedHandler {
  child: ChildProcess;
  /** Everything the handler wrote to stderr so far. */
  stderr(): string;
  /**
   * Resolves once stderr holds `expected`; rejects, quoting it, if stderr closes first. Stderr
   * is a pipe of its own: what the handler wrote before a reply, or before it exited, can reach
   * the host after either.
   */
  stderrHolding(expected: string | RegExp): Promise<void>;
  /** Resolves with the exit status once the child exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const spawned: ChildProcess[] = [];

/**
 * Spawns a handler: a `.mjs` fixture runs with this node, anything else is executed as is.
 * `mode` goes to the child as UMD_PROTOCOL, like the manager does.
 */
export function spawnHandler(
  file: string,
  mode: 'framed' | 'raw',
  env: Record<string, string> = {},
  stdout: 'pipe' | Socket | number = 'pipe',
  stdin: 'pipe' | number = 'pipe',
): SpawnedHandler {
  const command = file.endsWith('.mjs') ? process.execPath : file;
  const args = file.endsWith('.mjs') ? [file] : [];
  const child = spawn(command, args, {
    stdio: [stdin, stdout, 'pipe'],
    env: { ...process.env, ...env, UMD_PROTOCOL: mode },
  });
  spawned.push(child);
  let stderr = '';
  let stderrClosed = false;
  const stderrWaiters = new Set<() => void>();
  const stderrChanged = () => {
    for (const waiter of stderrWaiters) waiter();
  };
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
    stderrChanged();
  });
  child.stderr!.once('close', () => {
    stderrClosed = true;
    stderrChanged();
  });
  const stderrHolding = (expected: string | RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const holds =
          typeof expected === 'string' ? stderr.includes(expected) : expected.test(stderr);
        if (!holds && !stderrClosed) return;
        stderrWaiters.delete(check);
        if (holds) resolve();
        else
          reject(new Error(`stderr closed without ${String(expected)}: ${JSON.stringify(stderr)}`));
      };
      stderrWaiters.add(check);
      check();
    });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null)
      resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, stderr: () => stderr, stderrHolding, exited };
}

/**
 * Spawns a handler (as {@link spawnHandler}) whose fd 1 is a fresh reply socket's handler end,
 * so the host reads its replies straight from the socket: the child has no stdout pipe.
 */
export async function spawnWithReplySocket(
  file: string,
  mode: 'framed' | 'raw',
  env: Record<string, string> = {},
): Promise<{ handler: SpawnedHandler; replySocket: ReplySocket }> {
  const replySocket = await openReplySocket();
  const handler = spawnHandler(file, mode, env, replySocket.handlerEnd);
  expect(handler.child.stdout).toBeNull();
  return { handler, replySocket };
}

/**
 * Kills every handler this test spawned that still runs (a test that wants to prove a handler
 * exits on its own checks `exited` first) and returns the pids found alive in /proc afterwards.
 */
export async function reapHandlers(): Promise<number[]> {
  const children = spawned.splice(0);
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    }),
  );
  return children.map((child) => child.pid!).filter((pid) => isAlive(pid));
}

/** Ends every test of the file with {@link reapHandlers}, expecting no handler left alive. */
export function reapAfterEach(): void {
  afterEach(async () => {
    expect(await reapHandlers()).toEqual([]);
  });
}

/** Deterministic test bytes: `size` bytes starting at `seed`. */
export function pattern(size: number, seed = 1): Uint8Array {
  const bytes = new Uint8Array(size);
  let value = seed & 0xff;
  for (let i = 0; i < size; i++) {
    bytes[i] = value;
    value = (value * 33 + 7) & 0xff;
  }
  return bytes;
}

/** One request at a time, each `pattern(size, size)`: every reply is its request's bytes. */
export async function expectEchoes(
  channel: FramedChannel,
  sizes: readonly number[],
): Promise<void> {
  for (const size of sizes) {
    const payload = pattern(size, size);
    const reply = await channel.request(payload, { timeoutMs: 20_000 });
    expect(sameBytes(reply, payload), `echo of ${size} bytes`).toBe(true);
  }
}

/**
 * Sends 300 requests at once through `channel`, their sizes `cycle` over and over, each its own
 * pattern, and checks that every reply is its own request's bytes.
 */
export async function expectPipelinedEchoes(
  channel: FramedChannel,
  cycle: readonly number[],
): Promise<void> {
  const sizes = Array.from({ length: 300 }, (_, i) => cycle[i % cycle.length]!);
  const replies = await Promise.all(
    sizes.map((size, i) => channel.request(pattern(size, i), { timeoutMs: 20_000 })),
  );
  replies.forEach((reply, i) =>
    expect(sameBytes(reply, pattern(sizes[i]!, i)), `request ${i}`).toBe(true),
  );
}
