// The transports compared by bench/run.mjs. Each one: open(size) once per payload size,
// run(count) -> nanoseconds for `count` echo round trips of that size, close().
import { fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { FramedChannel, RawChannel, openReplySocket } from '@umd/core';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const now = () => process.hrtime.bigint();

function payloadOf(size) {
  return new Uint8Array(size).fill(7);
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

function checkEcho(reply, size) {
  if (reply.byteLength !== size)
    throw new Error(`echo of ${size} bytes came back with ${reply.byteLength}`);
}

/**
 * glibc settings that keep freed memory in the process instead of returning it to the kernel, so
 * large payloads stop paying page faults for fresh pages (see the README's performance notes).
 */
export const TUNED_MALLOC = {
  MALLOC_MMAP_THRESHOLD_: String(256 << 20),
  MALLOC_TRIM_THRESHOLD_: String(1 << 30),
  MALLOC_TOP_PAD_: String(64 << 20),
};

/**
 * Spawns the echo handler with stdout as a plain stdio pipe, or (`replySocket`) as a reply socket
 * whose host end the channel reads straight into reply buffers.
 */
async function spawnEcho(env, replySocket) {
  const socket = replySocket ? await openReplySocket() : undefined;
  const child = spawn(process.execPath, [here('./echo-handler.mjs')], {
    stdio: ['pipe', socket ? socket.handlerEnd : 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  return { child, socket };
}

/** umd framed mode; `window` requests kept in flight (1 = serialized, like the kernel). */
export function framed(
  window,
  { tunedMalloc = false, replySocket = false, reuse = false, into = false } = {},
) {
  let child, channel, payload, options;
  const variant = [
    replySocket && 'reply socket',
    reuse && 'reuseRequestBuffers',
    into && 'replyInto',
    tunedMalloc && 'handler malloc tuned',
  ].filter(Boolean);
  return {
    name: [`umd framed, maxInFlight ${window}`, ...variant].join(', '),
    key: `framed-${window}${replySocket ? '-socket' : ''}${reuse ? '-reuse' : ''}${into ? '-into' : ''}${tunedMalloc ? '-tuned' : ''}`,
    window,
    async open(size) {
      if (!child) {
        let socket;
        const env = {
          ...(tunedMalloc ? TUNED_MALLOC : {}),
          ...(reuse ? { BENCH_REUSE: '1' } : {}),
          UMD_PROTOCOL: 'framed',
        };
        ({ child, socket } = await spawnEcho(env, replySocket));
        channel = FramedChannel.fromChild(child, { maxInFlight: window, replySocket: socket });
        await channel.waitForHello({ timeoutMs: 10_000 });
      }
      payload = payloadOf(size);
      // One reply buffer, reused by every round trip (only with maxInFlight 1: one reply at a time).
      options = into ? { replyInto: new Uint8Array(size) } : {};
    },
    async run(count) {
      const start = now();
      if (window === 1) {
        for (let i = 0; i < count; i++)
          checkEcho(await channel.request(payload, options), payload.byteLength);
      } else {
        let next = 0;
        const worker = async () => {
          while (next < count) {
            next++;
            checkEcho(await channel.request(payload), payload.byteLength);
          }
        };
        await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
      }
      return Number(now() - start);
    },
    async close() {
      channel?.close();
      if (child) await stopChild(child);
      child = undefined;
    },
  };
}

/** umd raw mode: the request size is fixed per handler, so one handler per payload size. */
export function raw({ replySocket = false, reuse = false, into = false } = {}) {
  let child, channel, payload, options;
  const variant = [
    replySocket && 'reply socket',
    reuse && 'reuseRequestBuffers',
    into && 'replyInto',
  ].filter(Boolean);
  return {
    name: ['umd raw', ...variant].join(', '),
    key: `raw${replySocket ? '-socket' : ''}${reuse ? '-reuse' : ''}${into ? '-into' : ''}`,
    async open(size) {
      await this.closeChild();
      payload = payloadOf(size);
      options = into ? { replyInto: new Uint8Array(size) } : {};
      let socket;
      ({ child, socket } = await spawnEcho(
        {
          UMD_PROTOCOL: 'raw',
          BENCH_REQUEST_SIZE: String(size),
          ...(reuse ? { BENCH_REUSE: '1' } : {}),
        },
        replySocket,
      ));
      channel = RawChannel.fromChild(child, { replySocket: socket });
    },
    async run(count) {
      const start = now();
      for (let i = 0; i < count; i++)
        checkEcho(await channel.exchange(payload, payload.byteLength, options), payload.byteLength);
      return Number(now() - start);
    },
    async closeChild() {
      channel?.close();
      if (child) await stopChild(child);
      child = undefined;
    },
    async close() {
      await this.closeChild();
    },
  };
}

/**
 * child_process.fork IPC. 'json' cannot carry bytes, so the payload travels as a base64 string
 * (decoded back to bytes on arrival); 'advanced' sends the Uint8Array itself (structured clone).
 */
export function ipc(serialization) {
  let child, message, size;
  return {
    name: `fork IPC, ${serialization}`,
    key: `ipc-${serialization}`,
    async open(bytes) {
      size = bytes;
      if (!child) {
        child = fork(here('./ipc-child.mjs'), [], {
          serialization,
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        await once(child, 'spawn');
      }
      const payload = Buffer.from(payloadOf(bytes));
      message = serialization === 'json' ? payload.toString('base64') : payload;
    },
    async run(count) {
      const start = now();
      for (let i = 0; i < count; i++) {
        const reply = await new Promise((resolve) => {
          child.once('message', resolve);
          child.send(message);
        });
        checkEcho(serialization === 'json' ? Buffer.from(reply, 'base64') : reply, size);
      }
      return Number(now() - start);
    },
    async close() {
      if (!child) return;
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
      child = undefined;
    },
  };
}

/** The C parent + child over a socketpair (bench/pingpong.c), driven batch by batch. */
export function c(executable) {
  let child, lines, size;
  return {
    name: 'C socketpair (baseline)',
    key: 'c',
    async open(bytes) {
      size = bytes;
      if (!child) {
        child = spawn(executable, [], { stdio: ['pipe', 'pipe', 'inherit'] });
        lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
      }
    },
    async run(count) {
      child.stdin.write(`${size} ${count}\n`);
      const { value, done } = await lines.next();
      if (done) throw new Error('pingpong exited');
      return Number(value);
    },
    async close() {
      if (child) await stopChild(child);
      child = undefined;
    },
  };
}
