import { isUmdError } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { Admission } from './admission.js';
import { resolveManagerOptions } from './manager-options.js';

const admission = (maxInFlight: number, maxQueue: number, maxQueuedBytes = 1000) => {
  const busy: boolean[] = [];
  const options = resolveManagerOptions({
    name: 'adm',
    loader: () => Promise.reject(new Error('unused')),
    maxInFlight,
    maxQueue,
    maxQueuedBytes,
  });
  return { a: new Admission(options, (b) => busy.push(b)), busy };
};

describe('Admission', () => {
  it('refuses beyond maxInFlight + maxQueue pending with UMD_QUEUE_FULL', () => {
    const { a, busy } = admission(1, 1);
    expect(a.refusal(1, 0)).toBeUndefined();
    a.entered();
    expect(a.refusal(1, 0)).toBeUndefined();
    a.entered();
    expect(isUmdError(a.refusal(1, 0), 'UMD_QUEUE_FULL')).toBe(true);
    a.left();
    expect(a.refusal(1, 0)).toBeUndefined();
    a.left();
    expect(busy).toEqual([true, false]);
  });

  it('bounds waiting bytes, the channel buffer included, but lets one request wait alone', () => {
    const { a } = admission(1, 10, 100);
    expect(a.refusal(500, 0)).toBeUndefined();
    a.waiting(60);
    expect(a.refusal(40, 0)).toBeUndefined();
    expect(isUmdError(a.refusal(41, 0), 'UMD_QUEUE_FULL')).toBe(true);
    expect(isUmdError(a.refusal(1, 40), 'UMD_QUEUE_FULL')).toBe(true);
    expect(a.queuedBytes(40)).toBe(100);
    a.waiting(-60);
    expect(a.refusal(1, 100)).toMatchObject({ code: 'UMD_QUEUE_FULL' });
  });
});
