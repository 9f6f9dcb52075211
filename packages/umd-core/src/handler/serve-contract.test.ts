import { describe, expect, it } from 'vitest';
import { defineContract, json, type StandardSchemaV1 } from '../contract/index.js';
import { isHandlerError } from './handler-error.js';
import type { HandlerContext } from './request-handler.js';
import { contractRequestHandler } from './serve-contract.js';

const context: HandlerContext = { id: 1, signal: new AbortController().signal };
const bytesOf = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const decoded = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as unknown;

/** A validator of `{ n: number }`, answering now or in a promise. */
function numberField(async: boolean): StandardSchemaV1<unknown, { n: number }> {
  const check = (value: unknown) =>
    typeof (value as { n?: unknown })?.n === 'number'
      ? { value: value as { n: number } }
      : { issues: [{ message: 'n must be a number' }] };
  return {
    '~standard': { version: 1, vendor: 'test', validate: async ? async (v) => check(v) : check },
  };
}

const errnoOf = async (run: () => unknown) => {
  try {
    await run();
  } catch (error) {
    expect(isHandlerError(error)).toBe(true);
    return (error as { errno: number }).errno;
  }
  throw new Error('expected a HandlerError');
};

describe('contractRequestHandler', () => {
  it('answers synchronously when codecs, validators and the handler are synchronous', () => {
    const contract = defineContract({ request: json(numberField(false)), reply: json<number>() });
    const answer = contractRequestHandler(contract, ({ n }) => n * 2)(bytesOf({ n: 21 }), context);
    expect(answer).toBeInstanceOf(Uint8Array); // not a promise: the read loop stays blocking
    expect(decoded(answer as Uint8Array)).toBe(42);
  });

  it('waits for an async validator or handler, with the same answers', async () => {
    const contract = defineContract({ request: json(numberField(true)), reply: json<number>() });
    const viaValidator = contractRequestHandler(contract, ({ n }) => n + 1);
    const answer = viaValidator(bytesOf({ n: 1 }), context);
    expect(answer).toBeInstanceOf(Promise);
    expect(decoded(await answer)).toBe(2);
    const plain = defineContract({ request: json<{ n: number }>(), reply: json<number>() });
    const viaHandler = contractRequestHandler(plain, async ({ n }) => n + 2);
    expect(decoded(await viaHandler(bytesOf({ n: 1 }), context))).toBe(3);
  });

  it('refuses a bad request with EINVAL and a bad reply with EIO, synchronous or not', async () => {
    for (const async of [false, true]) {
      const contract = defineContract({
        request: json(numberField(async)),
        reply: json(numberField(async)),
      });
      const handler = contractRequestHandler(contract, ({ n }) => (n > 0 ? { n } : { n: 'no' }));
      expect(await errnoOf(() => handler(bytesOf({ n: 'x' }), context))).toBe(-22);
      expect(await errnoOf(() => handler(new Uint8Array([0x7b]), context))).toBe(-22);
      expect(await errnoOf(() => handler(bytesOf({ n: -1 }), context))).toBe(-5);
      expect(decoded(await handler(bytesOf({ n: 7 }), context))).toEqual({ n: 7 });
    }
  });

  it("passes the handler's own failures through unchanged", async () => {
    const contract = defineContract({ request: json<number>(), reply: json<number>() });
    const thrown = new Error('mine');
    const sync = contractRequestHandler(contract, () => {
      throw thrown;
    });
    expect(() => sync(bytesOf(1), context)).toThrow(thrown);
    const rejecting = contractRequestHandler(contract, async () => Promise.reject(thrown));
    await expect(rejecting(bytesOf(1), context)).rejects.toBe(thrown);
  });
});
