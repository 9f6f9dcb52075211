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

/** Runs the demo for each handler (default: all), printing each step as it happens. */
export async function runSampleDemo(
  log: DemoLog = console.log,
  options: { handlers?: HandlerKind[] } = {},
): Promise<void> {
  for (const handler of options.handlers ?? handlerKinds) {
    await demoHandler(handler, log);
  }
}

async function demoHandler(handler: HandlerKind, log: DemoLog): Promise<void> {
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
    const { pid } = await sample.check(offset);
    say(
      `request  offset ${offset}: ${REPLY_SIZE / 1024} KiB reply, byte ${offset} set, all others zero (handler ${String(pid)})`,
    );
  };

  try {
    say(`${handlers[handler].mode} mode; nothing is loaded or running yet`);
    await request(4096);
    await request(130048);
    await sample.unload();
    await request(0);
    const pid = sample.pid as number;
    say(`kill     SIGKILL to handler ${pid}, behind the manager's back`);
    const exited = waitForExit(manager, pid);
    process.kill(pid, 'SIGKILL');
    await exited;
    await request(65536);
    try {
      await sample.check(REPLY_SIZE);
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
