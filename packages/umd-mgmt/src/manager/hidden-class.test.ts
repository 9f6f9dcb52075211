import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { contractClient, type ContractTarget } from '../contract/contract-client.js';
import { defineContract, json } from '@umd/core/contract';
import { newWaiter } from '../pool/pool-queue.js';
import { type CheckedRequestOptions, withTimeout } from './validate-options.js';

// Objects made once per request must share one hidden class (V8 map). On Node 20 (V8 11.3) an
// object spread followed by more keys (`{ ...options, timeoutMs }`) gave every object a map of its
// own: a pool's queue made a map per waiting request (runtime calls, megamorphic reads, maps for
// the garbage collector to promote). %HaveSameMap is V8's own check, enabled for this file.
setFlagsFromString('--allow-natives-syntax');
const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (
  a: object,
  b: object,
) => boolean;

const CALLS = 2000;

/** How many of `make(0..CALLS-1)`'s objects have a map other than the first one's. */
function mapsApart(make: (i: number) => object): number {
  const first = make(0);
  let apart = 0;
  for (let i = 1; i < CALLS; i++) if (!haveSameMap(first, make(i))) apart++;
  return apart;
}

describe('request-path objects keep one hidden class', () => {
  const signal = new AbortController().signal;
  const checked: CheckedRequestOptions = { signal, timeoutMs: 5000 };

  it("the pool queue's waiters", () => {
    const payload = new Uint8Array(4);
    const noop = () => {};
    const waiter = (t0: number) =>
      newWaiter({ payload, replyLength: -1, options: checked, t0 }, 30_000, noop, noop);
    expect(mapsApart(waiter)).toBe(0);
  });

  it('options with the time left of a timeout', () => {
    expect(mapsApart((i) => withTimeout(checked, i + 1))).toBe(0);
    expect(withTimeout(checked, 7)).toEqual({
      signal,
      timeoutMs: 7,
      checkReply: undefined,
      replyInto: undefined,
    });
  });

  it("a typed client's options to its target", async () => {
    const sent: object[] = [];
    const target: ContractTarget = {
      name: 'fake',
      request: async (_payload, options) => {
        sent.push(options!);
        return new TextEncoder().encode('1');
      },
    };
    const client = contractClient(target, defineContract({ request: json(), reply: json() }));
    for (let i = 0; i < CALLS; i++) await client.request(i, { signal, timeoutMs: 5000 });
    expect(mapsApart((i) => sent[i]!)).toBe(0);
    expect(sent[0]).toMatchObject({ signal, timeoutMs: 5000 });
  });
});
