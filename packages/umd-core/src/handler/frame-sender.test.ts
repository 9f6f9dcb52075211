import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameType } from '../codec/constants.js';
import { FrameDecoder } from '../codec/frame-decoder.js';
import { FdFrameSender } from './frame-sender.js';

let cleanup: () => void = () => {};
afterEach(() => cleanup());

function fileSender() {
  const dir = mkdtempSync(join(tmpdir(), 'umd-sender-'));
  const path = join(dir, 'out');
  const fd = openSync(path, 'w');
  cleanup = () => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    sender: new FdFrameSender(fd),
    frames: () => new FrameDecoder().push(readFileSync(path)),
  };
}

describe('FdFrameSender', () => {
  it('writes frames in order, small ones batched while held, large ones as they are', () => {
    const { sender, frames } = fileSender();
    const large = Uint8Array.from({ length: 100_000 }, (_, i) => i & 0xff);
    sender.send(FrameType.Reply, 1, Uint8Array.of(1));
    sender.hold();
    for (let id = 2; id < 22; id++)
      sender.send(FrameType.Reply, id, new Uint8Array(9_000).fill(id));
    expect(frames()).toHaveLength(1); // still held
    sender.send(FrameType.Reply, 22, large); // flushes what was held first, keeping the order
    sender.send(FrameType.Error, 23, Uint8Array.of(0xea, 0xff, 0xff, 0xff));
    sender.flush();
    const written = frames();
    expect(written.map((frame) => frame.id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    expect(written[5]!.payload).toEqual(new Uint8Array(9_000).fill(6));
    expect(Buffer.from(written[21]!.payload).equals(large)).toBe(true);
    expect(written[22]!.type).toBe(FrameType.Error);
    // A batch that outgrows its limit is written early, still in order.
    sender.hold();
    for (let id = 24; id < 64; id++)
      sender.send(FrameType.Reply, id, new Uint8Array(9_000).fill(id));
    expect(frames().length).toBeGreaterThan(23);
    sender.flush();
    expect(frames().map((frame) => frame.id)).toEqual(Array.from({ length: 63 }, (_, i) => i + 1));
  });
});
