import { isUmdError, UmdErrorCode } from '@umd/core';
import { expect } from 'vitest';

/** Sends one request to a guide's echo handler, with a timeout of `timeoutMs` when given. */
export type EchoSend = (payload: Uint8Array, timeoutMs?: number) => Promise<Uint8Array>;

/**
 * What every guide's echo handler (C, Rust; HELLO limit 1 MiB) answers: a small and a 1 MiB
 * request echoed, an empty one refused with -22 ("empty request"), one over 1 MiB refused
 * unsent (`UMD_TOO_LARGE`), after which it still answers.
 */
export async function expectGuideEcho(send: EchoSend): Promise<void> {
  const small = new TextEncoder().encode('abc');
  expect(await send(small)).toEqual(small);

  const large = new Uint8Array(1024 * 1024).map((_, i) => i % 251);
  // Buffer.equals, not toEqual: vitest's deep equality walks 1 MiB element by element.
  const echoed = await send(large, 10_000);
  expect(echoed.length).toBe(large.length);
  expect(Buffer.from(echoed).equals(Buffer.from(large))).toBe(true);

  const empty = await send(new Uint8Array(0)).catch((e: unknown) => e);
  expect(isUmdError(empty, UmdErrorCode.HANDLER_ERROR)).toBe(true);
  expect(empty).toMatchObject({
    handlerCode: -22,
    message: expect.stringContaining('empty request'),
  });

  // The HELLO said 1 MiB: a larger request is refused unsent, and the handler goes on.
  const tooLarge = await send(new Uint8Array(1024 * 1024 + 1)).catch((e: unknown) => e);
  expect(isUmdError(tooLarge, UmdErrorCode.TOO_LARGE)).toBe(true);
  expect(await send(small)).toEqual(small);
}
