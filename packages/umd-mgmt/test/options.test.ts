import { describe, expect, it } from 'vitest';
import { MAX_TIMEOUT_MS, UmdManager } from '../src/index.js';
import { BAD_TIMEOUTS, fixtureLoader, managed, pooled, rejection } from './helpers/fixtures.js';

describe('one validation of every option', () => {
  it.each(['startTimeoutMs', 'stopGraceMs'] as const)(
    '%s: every bad value is refused by the constructor',
    (key) => {
      for (const value of [...BAD_TIMEOUTS, Number.POSITIVE_INFINITY]) {
        if (key === 'stopGraceMs' && value === 0) continue; // a grace period may be 0
        expect(
          () => new UmdManager({ name: 'v', loader: fixtureLoader('echo'), [key]: value }),
          `${key}: ${String(value)}`,
        ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
      }
    },
  );

  it('requestTimeoutMs: every bad value is refused; Infinity is "no timeout"', () => {
    for (const value of BAD_TIMEOUTS) {
      expect(
        () =>
          new UmdManager({
            name: 'v',
            loader: fixtureLoader('echo'),
            requestTimeoutMs: value as number,
          }),
        String(value),
      ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    }
    new UmdManager({ name: 'v', loader: fixtureLoader('echo'), requestTimeoutMs: Infinity });
    new UmdManager({ name: 'v', loader: fixtureLoader('echo'), requestTimeoutMs: MAX_TIMEOUT_MS });
  });

  it('null and undefined options mean the defaults', () => {
    const m = new UmdManager({
      name: 'v',
      loader: fixtureLoader('echo'),
      maxInFlight: null as never,
      maxQueue: undefined,
      startTimeoutMs: null as never,
      requestTimeoutMs: null as never,
      restartBudget: null as never,
      transport: null as never,
      sandbox: null as never,
      env: null as never,
    });
    expect(m.state).toBe('idle');
  });

  it.each([
    ['maxInFlight', 0],
    ['maxQueue', -1],
    ['maxPayload', 2 ** 32],
    ['maxQueuedBytes', 0],
    ['maxQueuedBytes', 1.5],
    ['maxQueuedBytes', '1048576'],
    ['restartBudget', { maxStarts: 0 }],
    ['restartBudget', { windowMs: 1.5 }],
    ['transport', { replySocket: 'yes' }],
    ['transport', 7],
    ['env', { A: 1 }],
    // An array is no options bag: taken as one it set nothing, silently.
    ['env', []],
    ['sandbox', []],
    ['transport', []],
    ['restartBudget', []],
    ['stagingDir', 5],
    // Found by trying it: staged relative to the host's cwd, then not found by the handler.
    ['stagingDir', 'tmp'],
    ['stagingDir', ''],
    ['stderrTailLines', 0],
    ['postStart', 'later'],
  ] as const)('refuses %s = %o', (key, value) => {
    expect(
      () => new UmdManager({ name: 'v', loader: fixtureLoader('echo'), [key]: value as never }),
    ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
  });
});

describe('unknown options are refused, not ignored', () => {
  const loader = fixtureLoader('echo');
  it.each([
    [{ maxInflight: 4 }, /unknown option "maxInflight"/],
    [{ instances: 4 }, /unknown option "instances" \(an option of UmdPool\)/],
    [{ transport: { replySockets: true } }, /unknown option transport\."replySockets"/],
    [{ sandbox: { permisson: false } }, /unknown option sandbox\."permisson"/],
    [{ restartBudget: { max: 3 } }, /unknown option restartBudget\."max"/],
  ])('a manager with %o', (extra, message) => {
    expect(() => new UmdManager({ name: 'v', loader, ...(extra as object) })).toThrow(
      expect.objectContaining({
        code: 'UMD_INVALID_ARGUMENT',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('a pool refuses them too, and takes its own', () => {
    expect(() => pooled({ loader, instances: 2, lookahead: 1, maxQueu: 5 } as never)).toThrow(
      expect.objectContaining({
        code: 'UMD_INVALID_ARGUMENT',
        message: expect.stringMatching(/"maxQueu"/),
      }),
    );
    expect(pooled({ loader, instances: 2, lookahead: 1 }).stats().instances).toHaveLength(2);
  });

  it('a key whose value is undefined is no setting, and passes', () => {
    expect(new UmdManager({ name: 'v', loader, ...({ later: undefined } as object) }).state).toBe(
      'idle',
    );
  });
});

describe('start({ signal })', () => {
  it('leaves no abort listener on the signal', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const controller = new AbortController();
    let added = 0;
    let removed = 0;
    const signal = controller.signal;
    const add = signal.addEventListener.bind(signal);
    const remove = signal.removeEventListener.bind(signal);
    signal.addEventListener = ((...args: Parameters<typeof add>) => {
      added++;
      add(...args);
    }) as typeof add;
    signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
      removed++;
      remove(...args);
    }) as typeof remove;
    for (let i = 0; i < 20; i++) await m.start({ signal });
    expect(added).toBe(20);
    expect(removed).toBe(added);
  });

  it('an aborted signal rejects with UMD_ABORTED', async () => {
    const m = managed({ loader: fixtureLoader('echo') });
    const error = await rejection(m.start({ signal: AbortSignal.abort() }));
    expect(error.code).toBe('UMD_ABORTED');
  });
});
