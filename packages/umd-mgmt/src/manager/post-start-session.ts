import { FramedChannel, RawChannel, UmdError, UmdErrorCode } from '@umd/core';
import type { HandlerSession, Loader } from '../loader/loader-types.js';
import type { ActiveHandler } from './active-handler.js';

/** Bounds one step of a start by the start's deadline and stop (see `HandlerLifecycle`). */
export type StartStep = <T>(promise: Promise<T>) => Promise<T>;

/**
 * What a started handler goes through before it takes requests: HELLO (framed), the loader's
 * `postStart`, then the manager's, each bounded by `step`. The blob's private copy goes once
 * the handler has loaded it: at HELLO, after the hooks, or (raw, no hooks) after the first reply.
 */
export async function postStart(
  h: ActiveHandler,
  loader: Loader,
  managerHook: ((session: HandlerSession) => Promise<void>) | undefined,
  name: string,
  step: StartStep,
): Promise<void> {
  if (h.channel instanceof FramedChannel) {
    h.hello = await step(h.channel.waitForHello());
    void h.process.removeBlob();
  }
  const session = handlerSession(h, name);
  if (loader.postStart) await step(loader.postStart(session));
  if (managerHook) await step(managerHook(session));
  if (loader.mode === 'raw') {
    if (loader.postStart || managerHook) await h.process.removeBlob();
    else h.blobPending = true;
  }
}

/** The session the postStart hooks talk to the handler through, before any queued request. */
function handlerSession(h: ActiveHandler, name: string): HandlerSession {
  const wrong = (method: string) =>
    Promise.reject(
      new UmdError(
        UmdErrorCode.INVALID_ARGUMENT,
        `${name}: ${method}() does not exist in ${h.channel instanceof FramedChannel ? 'framed' : 'raw'} mode`,
      ),
    );
  return {
    pid: h.process.pid,
    get hello() {
      return h.hello;
    },
    request: (payload, options) =>
      h.channel instanceof FramedChannel ? h.channel.request(payload, options) : wrong('request'),
    exchange: (request, replyLength, options) =>
      h.channel instanceof RawChannel
        ? h.channel.exchange(request, replyLength, options)
        : wrong('exchange'),
  };
}
