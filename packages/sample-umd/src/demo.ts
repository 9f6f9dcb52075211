/**
 * The sample driver's part of the repository demo (`pnpm demo`): each step of a driver's life
 * (load, start, request, unload, restart), printed as the manager's events report it.
 */
import { isUmdError, UmdErrorCode } from '@umd/core';
import { waitForExit } from '@umd/mgmt';
import { REPLY_SIZE } from './contract.js';
import { type HandlerKind, handlerKinds, handlers } from './handlers.js';
import { createSampleManager } from './manager.js';

/** Receives the demo's output, one line at a time. */
export type DemoLog = (line: string) => void;

/** Options of {@link runSampleDemo}. */
export interface SampleDemoOptions {
  /** The handlers to show (default: all). */
  handlers?: HandlerKind[];
  /**
   * Stops the demo: the step under way fails with the signal's reason (an `UMD_ABORTED`
   * UmdError from the manager, or the reason itself between steps), and the demo's handler is
   * stopped before it rejects.
   */
  signal?: AbortSignal;
}

/** Runs the demo for each handler (default: all), printing each step as it happens. */
export async function runSampleDemo(
  log: DemoLog = console.log,
  options: SampleDemoOptions = {},
): Promise<void> {
  const { signal } = options;
  for (const handler of options.handlers ?? handlerKinds) {
    signal?.throwIfAborted();
    await demoHandler(handler, log, signal);
  }
}

async function demoHandler(
  handler: HandlerKind,
  log: DemoLog,
  signal: AbortSignal | undefined,
): Promise<void> {
  const sample = createSampleManager({ handler });
  const { manager } = sample;
  const say = (line: string): void => log(`[sample ${handler}] ${line}`);
  manager.on('load', () => say('load     loader module imported (lazily, on first use)'));
  manager.on('start', ({ pid }: { pid: number }) =>
    say(`start    handler process ${pid} spawned from the verified blob`),
  );
  manager.on('ready', ({ pid }: { pid: number }) =>
    say(
      `ready    handler ${pid} ${handlers[handler].mode === 'raw' ? 'passed its postStart check' : 'said HELLO'}`,
    ),
  );
  manager.on('restart', ({ pid }: { pid: number }) =>
    say(`restart  a fresh handler ${pid} replaces the one that died`),
  );
  manager.on(
    'exit',
    ({
      pid,
      exitCode,
      signal,
      expected,
    }: {
      pid: number;
      exitCode: number | null;
      signal: string | null;
      expected: boolean;
    }) =>
      say(
        `exit     handler ${pid} ended (${signal ?? `status ${String(exitCode)}`}${expected ? ', as asked' : ', unexpectedly'})`,
      ),
  );
  manager.on('unload', () => say('unload   loader forgotten; the next request imports it again'));
  manager.on('error', () => {}); // reported below, by the request that failed

  const request = async (offset: number): Promise<void> => {
    const { pid } = await sample.check(offset, { signal });
    say(
      `request  offset ${offset}: ${REPLY_SIZE / 1024} KiB reply, byte ${offset} set, all others zero (handler ${String(pid)})`,
    );
  };

  try {
    say(`${handlers[handler].mode} mode; nothing is loaded or running yet`);
    await request(4096);
    await request(130048);
    await sample.unload();
    signal?.throwIfAborted();
    await request(0);
    const pid = sample.pid as number;
    say(`kill     SIGKILL to handler ${pid}, behind the manager's back`);
    const exited = waitForExit(manager, pid, { signal });
    process.kill(pid, 'SIGKILL');
    await exited;
    await request(65536);
    try {
      await sample.check(REPLY_SIZE, { signal });
    } catch (error) {
      if (!isUmdError(error, UmdErrorCode.INVALID_ARGUMENT)) throw error;
      say(`refused  offset ${REPLY_SIZE}: ${error.message}; nothing was sent`);
    }
  } catch (error) {
    if (isUmdError(error, UmdErrorCode.LOADER)) say(`skipped: ${error.message}`);
    else throw error;
  } finally {
    await sample.stop();
    say('stopped');
  }
}
