import { isUmdError, UmdError } from '@umd/core';
import { describe, expect, it } from 'vitest';
import { SlotQueue } from './slot-queue.js';

describe('SlotQueue', () => {
  it('grants slots in order and hands a released slot to the next waiter', async () => {
    const q = new SlotQueue(1);
    expect(q.tryAcquire()).toBe(true);
    const order: number[] = [];
    const a = q.acquire().then(() => order.push(1));
    const b = q.acquire().then(() => order.push(2));
    expect(q.waiting).toBe(2);
    q.release();
    await a;
    q.release();
    await b;
    expect(order).toEqual([1, 2]);
    expect(q.held).toBe(1);
    q.release();
    expect(q.held).toBe(0);
  });

  it('drops an aborted waiter and fails all waiters on failWaiters', async () => {
    const q = new SlotQueue(1);
    q.tryAcquire();
    const controller = new AbortController();
    const aborted = q.acquire(controller.signal);
    const other = q.acquire();
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    expect(q.waiting).toBe(1);
    q.failWaiters(new UmdError('UMD_STOPPED', 'stopped'));
    await expect(other).rejects.toSatisfy((e) => isUmdError(e, 'UMD_STOPPED'));
  });
});
