import { expect } from 'vitest';
import type { UmdManager } from '../../src/index.js';
import { str, text } from './fixtures.js';

/**
 * Has `m`'s ready handler (the echo fixture) close its stdout and idle, then checks that the
 * request fails at once (`UMD_HANDLER_EXITED` saying so, not a timeout) and that a new handler
 * answers the next one. `pidOf` tells the handler apart from its replacement.
 */
export async function expectClosedStdoutSeenAtOnce(
  m: UmdManager,
  pidOf: () => number | undefined = () => m.pid,
): Promise<void> {
  const first = pidOf();
  const error = await m.request(text('close-stdout:')).then(
    () => undefined,
    (e: unknown) => e as { code: string; message: string; timedOut?: boolean },
  );
  expect(error).toMatchObject({ code: 'UMD_HANDLER_EXITED' });
  expect(error?.timedOut).toBeUndefined();
  expect(error?.message).toMatch(/closed its stdout/);
  expect(str(await m.request(text('again')))).toBe('again');
  expect(pidOf()).not.toBe(first);
}
