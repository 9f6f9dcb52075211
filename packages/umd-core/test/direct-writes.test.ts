import { readSync } from 'node:fs';
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allowDirectWrites } from '../src/channel/direct-writes.js';
import { hostAddon } from '../src/channel/native-helper.js';
import { OrderedWriter } from '../src/channel/ordered-writer.js';
import { KiB } from './helpers/sizes.js';

// A stdio socket's host end is written by the host addon at once (one sendmsg, outside Node's
// Writable) where it holds nothing unwritten; what the socket does not take goes through the
// stream, in order; a failure is the socket's error as Node would report it.

function addon() {
  const helper = hostAddon();
  expect(helper, 'the native helper is built and loads').toBeDefined();
  return helper!;
}

const open: number[] = [];
afterEach(() => {
  for (const fd of open.splice(0)) addon().close(fd);
});

/** A socketpair: the host end as a writable Socket that may be written directly, and the peer's fd (blocking). */
function pair(sendBuffer: number) {
  const [hostFd, peerFd] = addon().socketpair(sendBuffer) as [number, number, number];
  open.push(peerFd);
  const socket = new Socket({ fd: hostFd, readable: false, writable: true });
  allowDirectWrites(socket, hostFd, (fd, chunks) => addon().writeNow(fd, chunks));
  const errors: Error[] = [];
  socket.on('error', (error) => errors.push(error));
  return { socket, peerFd, errors };
}

const pattern = (length: number, seed: number) =>
  Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);

/** Reads exactly `length` bytes from a blocking fd. */
function readExactly(fd: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  while (at < length) at += readSync(fd, out, at, length - at, null);
  return out;
}

const microtasks = () => new Promise((resolve) => setImmediate(resolve));

describe('direct writes of a stdio socket', () => {
  it("a batch the socket takes whole never reaches Node's Writable", async () => {
    const { socket, peerFd } = pair(1024 * KiB);
    const viaStream: number[] = [];
    const write = socket.write.bind(socket);
    socket.write = ((chunk: Uint8Array, ...rest: never[]) => {
      viaStream.push(chunk.byteLength);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    const writer = new OrderedWriter(socket);
    writer.write([pattern(16, 1), pattern(64 * KiB, 2)]);
    writer.write([pattern(16, 3)]);
    await microtasks();
    expect(viaStream).toEqual([]);
    expect(socket.writableLength).toBe(0);
    const got = readExactly(peerFd, 16 + 64 * KiB + 16);
    const sent = Buffer.concat([pattern(16, 1), pattern(64 * KiB, 2), pattern(16, 3)]);
    expect(Buffer.from(got).equals(sent)).toBe(true);
    socket.destroy();
  });

  it('what the socket does not take at once goes through the stream, in order', async () => {
    const { socket, peerFd } = pair(0); // the kernel's default send buffer: 1 MiB does not fit
    const writer = new OrderedWriter(socket);
    const big = pattern(1024 * KiB, 4);
    writer.write([pattern(16, 5), big]);
    writer.write([pattern(100, 6)]);
    await microtasks();
    expect(socket.writableLength).toBeGreaterThan(0); // the rest is the stream's
    writer.write([pattern(16, 7)]); // waits until the stream wrote all it had
    const sent = Buffer.concat([pattern(16, 5), big, pattern(100, 6), pattern(16, 7)]);
    open.splice(open.indexOf(peerFd), 1);
    const peer = new Socket({ fd: peerFd, readable: true, writable: false });
    const chunks: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve) =>
      peer.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.byteLength;
        if (length >= sent.byteLength) resolve();
      }),
    );
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
    peer.destroy();
    socket.destroy();
  });

  it("a peer gone fails the socket with Node's own error (write EPIPE), no SIGPIPE", async () => {
    const { socket, errors } = pair(1024 * KiB);
    addon().close(open.pop()!);
    const writer = new OrderedWriter(socket);
    writer.write([pattern(16, 8)]);
    await microtasks();
    await microtasks();
    expect(socket.destroyed).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ message: 'write EPIPE', code: 'EPIPE', syscall: 'write' });
    expect((errors[0] as { errno?: number }).errno).toBeLessThan(0);
  });

  it('never writes a destroyed socket (its descriptor number may be reused)', async () => {
    let calls = 0;
    const [hostFd, peerFd] = addon().socketpair(0) as [number, number, number];
    open.push(peerFd);
    const socket = new Socket({ fd: hostFd, readable: false, writable: true });
    socket.on('error', () => {});
    allowDirectWrites(socket, hostFd, () => {
      calls++;
      return 0;
    });
    const writer = new OrderedWriter(socket);
    writer.write([pattern(16, 9)]);
    socket.destroy();
    await microtasks();
    expect(calls).toBe(0);
  });
});

describe('writeNow (host addon)', () => {
  it('takes 1 to 64 Uint8Arrays, returns the bytes the socket took, 0 when it takes none', () => {
    const [a, b] = addon().socketpair(0) as [number, number, number];
    open.push(a, b);
    expect(addon().writeNow(a, [pattern(3, 0), pattern(5, 1)])).toBe(8);
    let total = 0;
    for (let n = 1; n > 0; ) {
      n = addon().writeNow(a, [pattern(64 * KiB, 2)]) as number;
      total += n;
    }
    expect(total).toBeGreaterThan(0);
    expect(addon().writeNow(a, [pattern(1, 3)])).toBe(0); // full: EAGAIN
    expect(() => addon().writeNow(a, [])).toThrow(TypeError);
    expect(() => addon().writeNow(a, [[1] as never])).toThrow(TypeError);
    expect(() => addon().writeNow(a, Array(65).fill(pattern(1, 0)))).toThrow(TypeError);
  });
});
