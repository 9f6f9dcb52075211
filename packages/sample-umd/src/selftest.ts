/**
 * The selftest: what the kernel's `umd_mgmt.sh` did, and what it left out. The steps every
 * driver shares (random requests with unloads, invalid input, kills, a process-table scan at
 * the end) are `runManagerSelftest` of `@umd/mgmt/testing`; this file supplies what is the
 * sample's own: a valid request (a random offset, a multiple of 1 KiB, checked by `check()`)
 * and the bad inputs.
 */
import { isUmdError, UmdErrorCode } from '@umd/core';
import { type ManagerSelftestReport, runManagerSelftest } from '@umd/mgmt/testing';
import { REPLY_SIZE } from './contract.js';
import { type HandlerKind, handlers } from './handlers.js';
import { createSampleManager, type SampleManager, type SampleManagerOptions } from './manager.js';

/** Options of {@link runSelftest}. */
export interface SelftestOptions {
  /** Which handler to test (`'ts'`). */
  handler?: HandlerKind;
  /** Requests with random valid offsets (500). */
  requests?: number;
  /** Unload the loader after every this many requests (50). */
  unloadEvery?: number;
  /** Seed of the offsets' random sequence (random); printed in the report so a run can be replayed. */
  seed?: number;
  /** Receives one line per step, as it happens (nothing). */
  log?: (line: string) => void;
  /** Extra `UmdManager` options. */
  managerOptions?: Omit<SampleManagerOptions, 'handler'>;
  /** Stops the run between two steps. */
  signal?: AbortSignal;
}

/** What {@link runSelftest} saw, for one handler. `problems` is empty when the selftest passed. */
export interface SelftestReport extends ManagerSelftestReport {
  /** The handler tested. */
  handler: HandlerKind;
}

/** Offsets that must be refused before they are sent. */
const INVALID_OFFSETS = [REPLY_SIZE, REPLY_SIZE + 1024, 2 ** 32 - 1, -1, 1.5, Number.NaN];

/** Runs the selftest against one handler. Never throws for a failed check: see `problems`. */
export async function runSelftest(options: SelftestOptions = {}): Promise<SelftestReport> {
  const { handler = 'ts', managerOptions, ...rest } = options;
  const driver = createSampleManager({ ...managerOptions, handler });
  const report = await runManagerSelftest({
    ...rest,
    manager: driver.manager,
    name: handler,
    request: (random) => driver.check(Math.floor(random() * (REPLY_SIZE / 1024)) * 1024),
    invalid: INVALID_OFFSETS.map((offset) => ({
      label: `invalid offset ${offset}`,
      send: () => driver.check(offset),
    })),
    malformed: [malformedRequest(driver)],
  });
  return { handler, ...report };
}

/** A request past `check()`'s validation: the handler must refuse it itself, or die cleanly (raw mode). */
function malformedRequest(driver: SampleManager) {
  const bad = new Uint8Array(4);
  new DataView(bad.buffer).setUint32(0, REPLY_SIZE, true);
  const raw = handlers[driver.handler].mode === 'raw';
  return {
    label: `a request with offset ${REPLY_SIZE}`,
    // Raw mode has no error frame: the handler stops (status 22) and the request fails.
    send: () => (raw ? driver.manager.requestRaw(bad, REPLY_SIZE) : driver.manager.request(bad)),
    refused: (error: unknown) =>
      raw
        ? isUmdError(error)
        : isUmdError(error, UmdErrorCode.HANDLER_ERROR) && error.handlerCode === -22,
  };
}
