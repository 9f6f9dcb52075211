import { PassThrough } from 'node:stream';
import { FrameType, PROTOCOL_VERSION } from '../codec/constants.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { encodeFrame } from '../codec/frame.js';
import { encodeHello } from '../codec/hello.js';
import type { FramedChannelOptions } from '../channel/channel-options.js';
import { FramedChannel } from '../channel/framed-channel.js';
import { RequestDispatcher } from '../handler/request-dispatcher.js';
import type { RequestHandler } from '../handler/request-handler.js';
import { type ServeOptions, resolveServeOptions } from '../handler/serve-options.js';

/** Options of {@link createChannelPair}: the handler's `serve()` options and the host channel's options. */
export type ChannelPairOptions = Partial<ServeOptions> & FramedChannelOptions;

/** A host channel connected in memory to a handler running in the same process. */
export interface ChannelPair {
  /** The host side: use it as you would a channel over a real handler process. */
  channel: FramedChannel;
  /** Closes the host side, lets the handler finish its requests, resolves when both ends are done. */
  close(): Promise<void>;
}

/**
 * Connects a {@link FramedChannel} to `handler` through in-memory streams, with the same framing,
 * HELLO, ids, ERROR frames and cancellation as over a real pipe, for fast unit tests of code
 * that talks to a handler. `maxPayload` applies to both directions.
 */
export function createChannelPair(
  handler: RequestHandler,
  options: ChannelPairOptions = {},
): ChannelPair {
  const serveOptions = resolveServeOptions({ ...options, name: options.name ?? 'in-memory' });
  const toHandler = new PassThrough();
  const toHost = new PassThrough();
  const send = (type: FrameType, id: number, payload: Uint8Array) => {
    if (!toHost.writableEnded) toHost.write(encodeFrame(type, id, payload));
  };
  const dispatcher = new RequestDispatcher(handler, send, serveOptions.concurrency);
  const decoder = new FrameDecoder({ maxPayload: serveOptions.maxPayload });
  const handlerDone = new Promise<void>((resolve) => {
    const stop = () => {
      if (!toHost.writableEnded) toHost.end();
      resolve();
    };
    toHandler.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) dispatcher.handleFrame(frame);
      } catch {
        // Like a handler process exiting on a protocol violation: its output ends.
        toHandler.removeAllListeners('data');
        toHandler.resume();
        stop();
      }
    });
    toHandler.once('end', () => void dispatcher.whenIdle().then(stop));
  });
  send(
    FrameType.Hello,
    0,
    encodeHello({
      version: PROTOCOL_VERSION,
      maxPayload: serveOptions.maxPayload,
      name: serveOptions.name,
    }),
  );
  const channel = new FramedChannel(toHost, toHandler, {
    maxInFlight: options.maxInFlight,
    maxPayload: options.maxPayload,
  });
  return {
    channel,
    close: async () => {
      channel.close();
      await handlerDone;
    },
  };
}
