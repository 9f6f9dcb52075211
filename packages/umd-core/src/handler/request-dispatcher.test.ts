import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FrameType } from '../codec/constants.js';
import { decodeErrorPayload } from '../codec/error-payload.js';
import { HandlerError } from './handler-error.js';
import { RequestDispatcher } from './request-dispatcher.js';
import type { RequestHandler } from './request-handler.js';

function harness(handler: RequestHandler, concurrency = 1) {
  const sent: Array<{ type: number; id: number; payload: Uint8Array }> = [];
  const dispatcher = new RequestDispatcher(
    handler,
    (type, id, payload) => sent.push({ type, id, payload }),
    concurrency,
  );
  const request = (id: number, payload = Uint8Array.of(id)) =>
    dispatcher.handleFrame({ type: FrameType.Request, id, payload });
  return { dispatcher, sent, request };
}

describe('RequestDispatcher', () => {
  it('answers a synchronous handler before handleFrame returns', () => {
    const { sent, request, dispatcher } = harness((payload) => payload);
    request(1);
    expect(sent).toEqual([{ type: FrameType.Reply, id: 1, payload: Uint8Array.of(1) }]);
    expect(dispatcher.idle).toBe(true);
  });

  it('maps HandlerError to its errno, other throws and non-bytes to -5', async () => {
    const { sent, request } = harness((payload) => {
      if (payload[0] === 1) throw new HandlerError(-22, 'bad');
      if (payload[0] === 2) throw 'a string';
      if (payload[0] === 3) return 'text' as unknown as Uint8Array;
      return Promise.reject(new Error('async failure'));
    });
    for (const id of [1, 2, 3, 4]) request(id);
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent.map((frame) => [frame.type, frame.id, decodeErrorPayload(frame.payload)])).toEqual([
      [FrameType.Error, 1, { code: -22, message: 'bad' }],
      [FrameType.Error, 2, { code: -5, message: 'a string' }],
      [FrameType.Error, 3, { code: -5, message: 'the handler returned string, not a Uint8Array' }],
      [FrameType.Error, 4, { code: -5, message: 'async failure' }],
    ]);
  });

  it('runs requests one at a time in arrival order with concurrency 1', async () => {
    const order: string[] = [];
    const { sent, request, dispatcher } = harness(async (payload) => {
      order.push(`start ${payload[0]}`);
      await sleep(5);
      order.push(`end ${payload[0]}`);
      return payload;
    });
    request(1);
    request(2);
    request(3);
    await dispatcher.whenIdle();
    expect(order).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    expect(sent.map((frame) => frame.id)).toEqual([1, 2, 3]);
  });

  it('refuses a duplicate id in flight and frames a host may not send, with UMD_PROTOCOL', () => {
    const { request, dispatcher } = harness(() => new Promise<Uint8Array>(() => {}));
    request(1);
    expect(() => request(1)).toThrow(
      expect.objectContaining({
        code: 'UMD_PROTOCOL',
        message: expect.stringContaining('already in flight'),
      }),
    );
    expect(() =>
      dispatcher.handleFrame({ type: FrameType.Reply, id: 5, payload: new Uint8Array(0) }),
    ).toThrow(/unexpected REPLY frame/);
    expect(() =>
      dispatcher.handleFrame({ type: FrameType.Hello, id: 0, payload: new Uint8Array(0) }),
    ).toThrow(/unexpected HELLO frame/);
  });

  it('aborts the signal of a running request on CANCEL and ignores CANCEL for unknown ids', async () => {
    let seen: AbortSignal | undefined;
    const { sent, request, dispatcher } = harness(
      (_payload, { signal }) =>
        new Promise<Uint8Array>((_resolve, reject) => {
          seen = signal;
          signal.addEventListener('abort', () => reject(new HandlerError(-125, 'stopped')));
        }),
    );
    request(7);
    dispatcher.handleFrame({ type: FrameType.Cancel, id: 99, payload: new Uint8Array(0) });
    expect(seen?.aborted).toBe(false);
    dispatcher.handleFrame({ type: FrameType.Cancel, id: 7, payload: new Uint8Array(0) });
    expect(seen?.aborted).toBe(true);
    await dispatcher.whenIdle();
    expect(
      sent.map((frame) => [frame.type, frame.id, decodeErrorPayload(frame.payload).code]),
    ).toEqual([[FrameType.Error, 7, -125]]);
  });

  it('gives a handler that reads its signal only after CANCEL an already aborted signal', async () => {
    let release: (() => void) | undefined;
    let aborted: boolean | undefined;
    const { request, dispatcher } = harness(async (payload, context) => {
      await new Promise<void>((resolve) => (release = resolve));
      aborted = context.signal.aborted;
      return payload;
    });
    request(3);
    dispatcher.handleFrame({ type: FrameType.Cancel, id: 3, payload: new Uint8Array(0) });
    release!();
    await dispatcher.whenIdle();
    expect(aborted).toBe(true);
  });

  it('reports each payload as done once its answer is sent: sync, async, thrown, cancelled before start', async () => {
    const events: string[] = [];
    const dispatcher = new RequestDispatcher(
      async (payload) => {
        if (payload[0] === 2) throw new Error('no');
        if (payload[0] === 3) await sleep(5);
        return payload;
      },
      (type, id) => events.push(`sent ${type} ${id}`),
      1,
      (payload) => events.push(`done ${payload[0]}`),
    );
    const request = (id: number) =>
      dispatcher.handleFrame({ type: FrameType.Request, id, payload: Uint8Array.of(id) });
    request(3);
    request(4);
    dispatcher.handleFrame({ type: FrameType.Cancel, id: 4, payload: new Uint8Array(0) });
    request(2);
    await dispatcher.whenIdle();
    const sync = new RequestDispatcher(
      (payload) => payload,
      (type, id) => events.push(`sent ${type} ${id}`),
      1,
      (payload) => events.push(`done ${payload[0]}`),
    );
    sync.handleFrame({ type: FrameType.Request, id: 5, payload: Uint8Array.of(5) });
    expect(events).toEqual([
      `sent ${FrameType.Error} 4`,
      'done 4',
      `sent ${FrameType.Reply} 3`,
      'done 3',
      `sent ${FrameType.Error} 2`,
      'done 2',
      `sent ${FrameType.Reply} 5`,
      'done 5',
    ]);
  });
});
