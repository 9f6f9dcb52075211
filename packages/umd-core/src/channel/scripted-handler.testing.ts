/** A FramedChannel over in-memory streams, and a test playing its handler frame by frame. */
import { PassThrough } from 'node:stream';
import { FrameType } from '../codec/constants.js';
import { encodeFrame, type Frame } from '../codec/frame.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { encodeHello } from '../codec/hello.js';
import { FramedChannel } from './framed-channel.js';

/** A scripted handler: the test reads the host's frames and writes whatever frames it likes. */
export function scripted(options: ConstructorParameters<typeof FramedChannel>[2] = {}) {
  const toHost = new PassThrough();
  const toHandler = new PassThrough();
  const decoder = new FrameDecoder();
  const received: Frame[] = [];
  toHandler.on('data', (chunk: Buffer) => received.push(...decoder.push(chunk)));
  const channel = new FramedChannel(toHost, toHandler, options);
  const closes: unknown[] = [];
  channel.on('close', (reason) => closes.push(reason));
  return {
    channel,
    received,
    closes,
    toHost,
    toHandler,
    hello: (maxPayload = 1 << 20) =>
      toHost.write(
        encodeFrame(FrameType.Hello, 0, encodeHello({ version: 1, maxPayload, name: 'scripted' })),
      ),
    reply: (id: number, payload: Uint8Array) =>
      toHost.write(encodeFrame(FrameType.Reply, id, payload)),
  };
}
export const tick = () => new Promise((resolve) => setImmediate(resolve));
export const bytes = (text: string) => new TextEncoder().encode(text);
