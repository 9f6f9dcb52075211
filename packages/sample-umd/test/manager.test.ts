import { isUmdError, UmdErrorCode } from '@umd/core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  childrenOf,
  createSampleManager,
  handlerKinds,
  handlers,
  REPLY_SIZE,
  type SampleManager,
} from '@umd/sample-umd';
import { unavailableHandlers } from './helpers.js';

const open: SampleManager[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((driver) => driver.stop()));
  expect(childrenOf(process.pid)).toEqual([]);
});

function manager(handler: (typeof handlerKinds)[number]): SampleManager {
  const driver = createSampleManager({ handler });
  open.push(driver);
  return driver;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('should have failed'),
    (error: unknown) => error,
  );
}

// Found by trying it (session 21): the options were destructured unguarded, so a getter or proxy
// that threw escaped bare, null was a TypeError, and a number or `true` was taken for no options.
it('options that cannot be read, or are not an object, are UMD_INVALID_ARGUMENT', () => {
  const getter = {
    get handler(): 'ts' {
      throw new Error('getter threw');
    },
  };
  const proxy = new Proxy(
    {},
    {
      ownKeys() {
        throw new Error('proxy threw');
      },
    },
  );
  const cases: [unknown, string][] = [
    [getter, 'reading its options threw: getter threw'],
    [proxy, 'reading its options threw: proxy threw'],
    [5, 'options must be an object'],
    [true, 'options must be an object'],
  ];
  for (const [options, message] of cases) {
    let error: unknown;
    try {
      createSampleManager(options as never);
    } catch (e) {
      error = e;
    }
    expect(isUmdError(error, UmdErrorCode.INVALID_ARGUMENT), String(error)).toBe(true);
    expect((error as Error).message).toContain(message);
  }
  // null means the defaults, as for UmdManager.
  expect(createSampleManager(null as never).handler).toBe('ts');
});

describe.each(handlerKinds)('the %s handler through the manager', (kind) => {
  const skip = unavailableHandlers[kind];
  if (skip !== undefined) console.warn(`skipped: ${skip}`);

  it.skipIf(skip)(
    'starts nothing before the first request, then answers with a checked reply',
    async () => {
      const driver = manager(kind);
      const starts: number[] = [];
      driver.manager.on('start', ({ pid }: { pid: number }) => starts.push(pid));
      expect(driver.pid).toBeUndefined();
      expect(childrenOf(process.pid)).toEqual([]);
      const result = await driver.check(4096);
      expect(result).toEqual({ offset: 4096, pid: starts[0] });
      await driver.check(0);
      await driver.check(REPLY_SIZE - 1);
      expect(starts).toHaveLength(1);
    },
  );

  it.skipIf(skip)('await using stops the handler when the scope ends', async () => {
    let driver: SampleManager | undefined;
    {
      await using scoped = createSampleManager({ handler: kind });
      driver = scoped;
      await scoped.check(0);
      expect(scoped.pid).toBeDefined();
    }
    expect(driver.pid).toBeUndefined();
    expect(childrenOf(process.pid)).toEqual([]);
  });

  it.skipIf(skip)('refuses invalid offsets before anything is sent or started', async () => {
    const driver = manager(kind);
    for (const offset of [REPLY_SIZE, -1, 0.5, 2 ** 32]) {
      const error = await failure(driver.check(offset));
      expect(isUmdError(error, UmdErrorCode.INVALID_ARGUMENT)).toBe(true);
      expect((error as Error).message).toMatch(/EINVAL, -22/);
    }
    expect(driver.pid).toBeUndefined();
  });

  it.skipIf(skip)('honours an aborted signal', async () => {
    const driver = manager(kind);
    const error = await failure(driver.check(0, { signal: AbortSignal.abort() }));
    expect(isUmdError(error, UmdErrorCode.ABORTED)).toBe(true);
  });

  it.skipIf(skip)('starts a fresh handler after unload', async () => {
    const driver = manager(kind);
    let loads = 0;
    driver.manager.on('load', () => (loads += 1));
    const first = await driver.check(1);
    await driver.unload();
    const second = await driver.check(2);
    expect(loads).toBe(2);
    expect(second.pid).not.toBe(first.pid);
  });
});

describe('the handler validates too', () => {
  const framed = handlerKinds.filter(
    (kind) => handlers[kind].mode === 'framed' && unavailableHandlers[kind] === undefined,
  );

  it.each(framed)('%s: refuses a request that bypasses check(), with EINVAL', async (kind) => {
    const driver = manager(kind);
    const outOfRange = new Uint8Array(4);
    new DataView(outOfRange.buffer).setUint32(0, REPLY_SIZE, true);
    for (const bad of [outOfRange, new Uint8Array(3), new Uint8Array(0)]) {
      const error = await failure(driver.manager.request(bad));
      expect(isUmdError(error, UmdErrorCode.HANDLER_ERROR)).toBe(true);
      expect((error as { handlerCode?: number }).handlerCode).toBe(-22);
    }
    // Larger than the 4 bytes the handler announced in HELLO: refused by the host, never sent.
    expect(
      isUmdError(await failure(driver.manager.request(new Uint8Array(5))), UmdErrorCode.TOO_LARGE),
    ).toBe(true);
    await driver.check(64);
  });
});
