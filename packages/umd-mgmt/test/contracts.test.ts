import { setTimeout as sleep } from 'node:timers/promises';
import { defineContract, json } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { contractClient } from '../src/index.js';
// @ts-expect-error: a plain .mjs fixture shared with the handler blob, without declarations
import { contracts } from './fixtures/contracts.mjs';
import { fixtureLoader, managed, pooled, rejection } from './helpers/fixtures.js';
import { waitForDeath } from './helpers/process-table.js';

const loader = () => fixtureLoader('contract');
const env = (codec: string, fixture = '') => ({ UMD_FIXTURE_CODEC: codec, UMD_FIXTURE: fixture });

describe('typed contracts through a real handler', () => {
  it('json with validators on both sides: typed values in and out', async () => {
    const m = managed({ loader: loader(), env: env('json') });
    const sum = contractClient(m, contracts.json);
    expect(await sum.request({ a: 2, b: 40 })).toEqual({ sum: 42 });
  });

  it('structured clone: Map, Date and BigInt cross the pipe', async () => {
    const m = managed({ loader: loader(), env: env('structured') });
    const clone = contractClient(m, contracts.structured);
    const value = new Map([['k', new Set([1n, 2n])]]);
    const reply = (await clone.request(value)) as { got: unknown; at: Date; big: bigint };
    expect(reply.got).toEqual(value);
    expect(reply.at).toEqual(new Date(0));
    expect(reply.big).toBe(2n ** 70n);
  });

  it('bytes: the payload as it is', async () => {
    const m = managed({ loader: loader(), env: env('bytes') });
    const reverse = contractClient(m, contracts.bytes);
    const reply = (await reverse.request(new Uint8Array([1, 2, 3]))) as Uint8Array;
    expect([...reply]).toEqual([3, 2, 1]);
  });

  it('a request the contract refuses is UMD_INVALID_ARGUMENT and never sent', async () => {
    const m = managed({ loader: loader(), env: env('json') });
    const sum = contractClient(m, contracts.json);
    const error = await rejection(sum.request({ a: 1, b: 'two' }));
    expect(error).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    expect(String(error.message)).toContain('b: expected a number');
    expect(m.stats()).toMatchObject({ requests: 0, starts: 0 });
  });

  // Found by trying it (session 14): a string, a number or a function as options, and a
  // checkReply or replyInto (which a contract call cannot honour), were silently ignored.
  it("a call's options that are not an object, or that it cannot honour, are UMD_INVALID_ARGUMENT and nothing is sent", async () => {
    const m = managed({ loader: loader(), env: env('json') });
    const sum = contractClient(m, contracts.json);
    let validated = 0;
    const counting = contractClient(m, {
      ...contracts.json,
      encodeRequest: (value: unknown) => {
        validated++;
        return contracts.json.encodeRequest(value);
      },
    });
    const cases: [unknown, string][] = [
      ['fast', 'request options must be an object, got "fast"'],
      [5, 'request options must be an object, got 5'],
      [() => 1, 'request options must be an object, got a function'],
      [{ checkReply: () => {} }, '"checkReply" (the contract checks the reply)'],
      [{ replyInto: new Uint8Array(8) }, '"replyInto" (the contract decodes'],
      [{ timeoutMS: 5 }, 'unknown option of a contract request "timeoutMS"'],
      [{ timeoutMs: -1 }, 'timeoutMs must be an integer number of ms'],
      [{ signal: 'abort' }, 'signal must be an AbortSignal'],
      [
        Object.defineProperty({}, 'signal', {
          enumerable: true,
          get() {
            throw new Error('getter threw');
          },
        }),
        'reading request options threw: getter threw',
      ],
    ];
    for (const [options, message] of cases) {
      for (const client of [sum, counting]) {
        const error = await rejection(client.request({ a: 1, b: 2 }, options as never));
        expect(error.code).toBe('UMD_INVALID_ARGUMENT');
        expect(error.message).toContain(message);
      }
    }
    expect(validated).toBe(0);
    expect(m.stats()).toMatchObject({ requests: 0, starts: 0 });
    expect(await sum.request({ a: 1, b: 2 }, null as never)).toEqual({ sum: 3 });
  });

  it('the handler refuses a request that breaks the contract with EINVAL (-22) and stays up', async () => {
    const m = managed({ loader: loader(), env: env('json') });
    await m.start();
    const pid = m.pid;
    const error = await rejection(m.request(new TextEncoder().encode('{"a":1}')));
    expect(error).toMatchObject({ code: 'UMD_HANDLER_ERROR', handlerCode: -22 });
    expect(String(error.message)).toContain('b: expected a number');
    expect(await contractClient(m, contracts.json).request({ a: 1, b: 1 })).toEqual({ sum: 2 });
    expect(m.pid).toBe(pid);
  });

  it('a handler whose own reply breaks the contract answers EIO (-5) instead of sending it', async () => {
    const m = managed({ loader: loader(), env: env('json', 'bad-reply') });
    const error = await rejection(contractClient(m, contracts.json).request({ a: 1, b: 1 }));
    expect(error).toMatchObject({ code: 'UMD_HANDLER_ERROR', handlerCode: -5 });
  });

  it('a lying handler: its reply fails validation, UMD_INVALID_REPLY, it is killed and replaced', async () => {
    const m = managed({ loader: loader(), env: env('json', 'lie') });
    await m.start();
    const liar = m.pid!;
    const sum = contractClient(m, contracts.json);
    const error = await rejection(sum.request({ a: 1, b: 2 }));
    expect(error).toMatchObject({ code: 'UMD_INVALID_REPLY', pid: liar, signal: 'SIGKILL' });
    expect(String(error.message)).toContain('sum: expected a number');
    expect(await waitForDeath(liar)).toBe(true);
    // The next request gets a fresh handler (which lies again: same code).
    expect(await rejection(sum.request({ a: 1, b: 2 }))).toMatchObject({
      code: 'UMD_INVALID_REPLY',
    });
    expect(m.stats()).toMatchObject({ starts: 2, restarts: 1, failures: 2 });
  });

  it('a target or contract that is not one is UMD_INVALID_ARGUMENT when the client is made', () => {
    const m = managed({ loader: loader(), env: env('json') });
    const made = (target: unknown, contract: unknown) => () =>
      contractClient(target as never, contract as never);
    const refused = expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' });
    expect(made({}, contracts.json)).toThrow(refused);
    expect(made(null, contracts.json)).toThrow(refused);
    expect(made(m, {})).toThrow(refused);
    expect(made(m, undefined)).toThrow(refused);
  });

  // Found by trying it: a validator that never settled held the call whatever its timeout.
  it('an async validator that never settles ends with the call: its timeout or its signal', async () => {
    const m = managed({ loader: loader(), env: env('json') });
    const hangs = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: () => new Promise<never>(() => {}),
      },
    };
    const stuck = contractClient(m, defineContract({ request: json(hangs), reply: json() }));
    const late = await rejection(stuck.request({ a: 1 }, { timeoutMs: 100 }));
    expect(late).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    const aborted = await rejection(stuck.request({ a: 1 }, { signal: AbortSignal.timeout(100) }));
    expect(aborted).toMatchObject({ code: 'UMD_TIMEOUT', timedOut: true });
    expect(m.stats()).toMatchObject({ requests: 0, starts: 0 });
    const slow = {
      '~standard': {
        version: 1 as const,
        vendor: 'test',
        validate: async (value: unknown) => {
          await sleep(50);
          return { value };
        },
      },
    };
    const sum = contractClient(m, defineContract({ request: json(slow), reply: json() }));
    expect(await sum.request({ a: 1, b: 2 }, { timeoutMs: 5000 })).toEqual({ sum: 3 });
  });

  it('works on a pool: the liar is one instance, killed alone', async () => {
    const pool = pooled({ loader: loader(), env: env('json', 'lie'), instances: 2 });
    await pool.start();
    const [first, second] = pool.pids as number[];
    const sum = contractClient(pool, contracts.json);
    expect(await rejection(sum.request({ a: 1, b: 2 }))).toMatchObject({
      code: 'UMD_INVALID_REPLY',
      pid: first,
    });
    expect(pool.pids[1]).toBe(second);
    expect(pool.stats().instances.map((s) => s.failures)).toEqual([1, 0]);
  });
});

describe('with zod (a Standard Schema validator) on the host side', () => {
  it('validates the reply of a real handler, and refuses a lying one', async () => {
    const { z } = await import('zod');
    const Sum = defineContract({
      name: 'sum',
      request: json(z.object({ a: z.number(), b: z.number() })),
      reply: json(z.object({ sum: z.number().int() })),
    });
    const honest = contractClient(managed({ loader: loader(), env: env('json') }), Sum);
    const reply: { sum: number } = await honest.request({ a: 20, b: 22 });
    expect(reply).toEqual({ sum: 42 });
    const liar = contractClient(managed({ loader: loader(), env: env('json', 'lie') }), Sum);
    const error = await rejection(liar.request({ a: 1, b: 2 }));
    expect(error).toMatchObject({ code: 'UMD_INVALID_REPLY', signal: 'SIGKILL' });
    expect(String(error.message)).toMatch(/sum: invalid reply: sum: .*number/i);
  });
});
