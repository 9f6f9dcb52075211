/** One request to the handler: send the input, check the reply, map the handler's errors. */
import { isUmdError, type RequestOptions, UmdErrorCode } from '@umd/core';
import type { UmdManager } from '@umd/mgmt';
import { EBADMSG, EOPNOTSUPP, encodeRequest, MAX_INPUT, type OpCode } from '../contract.js';
import { isPgpError, PgpError } from '../errors.js';
import type { Check } from './check.js';

/**
 * Sends `input` for operation `op` and returns the reply, checked by `check`. A handler that
 * says the input is malformed gives `PGP_MALFORMED`, one in a format it does not read
 * `PGP_UNSUPPORTED`; a reply that breaks the contract gives
 * `PGP_HANDLER_LIED` (from `check` or from `use`, the host's binding of the reply to the
 * input) and the handler is killed (the next request starts a fresh one).
 */
export async function ask<T, R>(
  manager: UmdManager,
  op: OpCode,
  input: Uint8Array,
  check: Check<T>,
  options: RequestOptions,
  use: (reply: T) => R,
): Promise<R> {
  if (input.length > MAX_INPUT) {
    throw new PgpError(
      'PGP_INVALID_ARGUMENT',
      `input of ${input.length} bytes is over ${MAX_INPUT}`,
    );
  }
  let raw: Uint8Array;
  try {
    // Only the manager's own keys: a call's options also hold `keys`, `now`..., which the
    // manager refuses as misspelt request options.
    const { signal, timeoutMs } = options;
    raw = await manager.request(encodeRequest(op, input), { signal, timeoutMs });
  } catch (error) {
    if (isUmdError(error, UmdErrorCode.HANDLER_ERROR)) {
      // The handler's words, shortened and stripped of control characters.
      const words = error.message.replace(/[^\x20-\x7e]/g, '?').slice(0, 300);
      if (error.handlerCode === EBADMSG)
        throw new PgpError('PGP_MALFORMED', `malformed input: ${words}`, { cause: error });
      if (error.handlerCode === EOPNOTSUPP)
        throw new PgpError('PGP_UNSUPPORTED', `unsupported input: ${words}`, { cause: error });
    }
    throw error;
  }
  const pid = manager.pid;
  try {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(raw).toString('utf8'));
    } catch {
      throw new PgpError('PGP_HANDLER_LIED', 'the handler replied with something that is not JSON');
    }
    return use(check(parsed, 'reply'));
  } catch (error) {
    if (isPgpError(error, 'PGP_HANDLER_LIED') && pid !== undefined) await kill(manager, pid);
    throw error;
  }
}

/** Kills a handler that lied and waits until the manager saw it go (fail-stop). */
async function kill(manager: UmdManager, pid: number): Promise<void> {
  if (manager.pid !== pid) return;
  const gone = new Promise<void>((resolve) => {
    const timer = setTimeout(done, 5000);
    function done(): void {
      clearTimeout(timer);
      manager.off('exit', onExit);
      resolve();
    }
    function onExit(event: { pid: number }): void {
      if (event.pid === pid) done();
    }
    manager.on('exit', onExit);
  });
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone: the manager reports the exit all the same.
  }
  await gone;
}
