import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame, encodeFrameHeader, FrameDecoder, FrameType } from '@umd/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeMboxRequest, MBOX_REQUEST_HEADER_SIZE } from '../abi/mbox.js';
import type { ServiceBackend } from './backend.js';
import { connectService } from './client.js';
import { serveConnection } from './connection.js';
import { SERVICE_MAX_PAYLOAD, SERVICE_CLIENT_BUDGET } from './protocol.js';
import { ClientBudget, SMALL_FRAME_BYTES, SMALL_FRAME_RESERVE } from './client-budget.js';
import { serve, type BpfilterService } from './server.js';

/** A GET_ENTRIES-like answer: a small request, a large reply (as a whole table is). */
const REPLY_SIZE = 1024 * 1024;

function largeReplies(): { backend: ServiceBackend; calls: () => number } {
  let calls = 0;
  return {
    backend: {
      request: async () => {
        calls++;
        return { status: 0, body: new Uint8Array(REPLY_SIZE) };
      },
    },
    calls: () => calls,
  };
}

/** Waits until `value()` has not changed for a while (the service has done what it will). */
async function settled(value: () => number): Promise<number> {
  let last = -1;
  for (let still = 0; still < 5; await sleep(40)) {
    const now = value();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return last;
}

describe('a client that sends requests and does not read the replies', () => {
  let dir: string;
  let service: BpfilterService | undefined;
  let rogue: Socket | undefined;
  let stalled: Socket[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfilter-conn-'));
  });
  afterEach(async () => {
    rogue?.destroy();
    for (const socket of stalled) socket.destroy();
    stalled = [];
    await service?.close();
    service = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not answered beyond what it reads: the service holds a bounded amount for it', async () => {
    const { backend, calls } = largeReplies();
    service = await serve({ socketPath: join(dir, 's'), backend });
    rogue = createConnection(service.socketPath);
    rogue.pause(); // never reads: replies can only pile up in the service
    const requests = 300; // 300 MiB of replies for a few KiB of requests
    const request = encodeMboxRequest({ isSet: false, cmd: 65, data: new Uint8Array(40) });
    for (let id = 1; id <= requests; id++) rogue.write(encodeFrame(FrameType.Request, id, request));

    const answered = await settled(calls);
    expect(answered).toBeLessThan(32);

    // Others are still served meanwhile.
    const other = await connectService(service.socketPath);
    expect((await other.getsockopt(64, new Uint8Array(84))).status).toBe(0);
    other.close();

    // Once the client reads, every request gets its reply, in order.
    const decoder = new FrameDecoder({ maxPayload: 2 * REPLY_SIZE });
    const ids: number[] = [];
    const done = new Promise<void>((resolve) =>
      rogue!.on('data', (chunk) => {
        for (const frame of decoder.push(chunk)) {
          if (frame.type === FrameType.Hello) continue;
          expect(frame.payload.length).toBe(4 + REPLY_SIZE);
          ids.push(frame.id);
          if (ids.length === requests) resolve();
        }
      }),
    );
    rogue.resume();
    await done;
    expect(ids).toEqual(Array.from({ length: requests }, (_, i) => i + 1));
  }, 60_000);

  it('holds no more than the service budget for clients that announce large requests and stall', async () => {
    const { backend } = largeReplies();
    service = await serve({ socketPath: join(dir, 's'), backend });
    // Each announces the largest request and sends none of it: the service allocates it.
    const fit = Math.floor((SERVICE_CLIENT_BUDGET - SMALL_FRAME_RESERVE) / SERVICE_MAX_PAYLOAD);
    let dropped = 0;
    for (let i = 0; i < fit + 3; i++) {
      const socket = createConnection(service.socketPath);
      socket.on('close', () => dropped++);
      socket.on('error', () => {});
      socket.resume(); // reads the HELLO, and the end when the service drops it
      socket.write(encodeFrameHeader(FrameType.Request, 1, SERVICE_MAX_PAYLOAD));
      stalled.push(socket);
    }
    expect(await settled(() => dropped)).toBe(3);

    // A small request still fits beside them, and a large one once they are gone.
    const other = await connectService(service.socketPath);
    expect((await other.getsockopt(64, new Uint8Array(84))).status).toBe(0);
    for (const socket of stalled) socket.destroy();
    await settled(() => dropped);
    const large = new Uint8Array(SERVICE_MAX_PAYLOAD - 1024);
    for (let i = 0; i < fit + 1; i++) expect((await other.setsockopt(64, large)).status).toBe(0);
    other.close();
  }, 60_000);
});

/** A server that runs serveConnection with `budget`; its log lines are kept. */
async function budgetServer(budget: ClientBudget, backend: ServiceBackend) {
  const dir = mkdtempSync(join(tmpdir(), 'bpfilter-budget-'));
  const log: string[] = [];
  const server = createServer((socket) =>
    serveConnection(
      socket,
      (request, signal) => backend.request(request, { signal }),
      (line) => log.push(line),
      budget,
    ),
  );
  const path = join(dir, 's');
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const clients: Socket[] = [];
  return {
    log,
    connect: () => {
      const client = createConnection(path);
      client.on('error', () => {}); // dropped by the service
      clients.push(client);
      return client;
    },
    close: async () => {
      for (const client of clients) client.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe("a connection's share of the service's client budget", () => {
  let server: Awaited<ReturnType<typeof budgetServer>> | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('is given back for every frame, answered, cancelled or cut off, and when the client goes', async () => {
    const large = SMALL_FRAME_BYTES + 1;
    // Room for 4 large frames at once.
    const budget = new ClientBudget(SMALL_FRAME_RESERVE + 4 * large);
    server = await budgetServer(budget, { request: async () => ({ status: 0 }) });
    const client = server.connect();
    const decoder = new FrameDecoder();
    const replies: number[] = [];
    client.on('data', (chunk) => {
      for (const frame of decoder.push(chunk))
        if (frame.type !== FrameType.Hello) replies.push(frame.id);
    });
    const request = encodeMboxRequest({
      isSet: true,
      cmd: 64,
      data: new Uint8Array(large - MBOX_REQUEST_HEADER_SIZE),
    });
    // Many more CANCEL frames than fit at once, then requests: each frame's bytes come back.
    for (let id = 1; id <= 20; id++) client.write(encodeFrame(FrameType.Cancel, id, request));
    for (let id = 21; id <= 40; id++) client.write(encodeFrame(FrameType.Request, id, request));
    await settled(() => replies.length);
    expect(replies).toEqual(Array.from({ length: 20 }, (_, i) => i + 21));
    expect(budget.held).toBe(0);

    // A client gone with a frame half sent.
    client.write(encodeFrame(FrameType.Request, 41, request).subarray(0, 1000));
    await settled(() => budget.held);
    expect(budget.held).toBe(large);
    client.destroy();
    expect(await settled(() => budget.held)).toBe(0);
  });

  it('holds the replies clients do not read, and drops a client whose reply does not fit', async () => {
    const replyFrame = 16 + 4 + REPLY_SIZE;
    const budget = new ClientBudget(SMALL_FRAME_RESERVE + 4 * replyFrame);
    server = await budgetServer(budget, largeReplies().backend);
    const request = encodeMboxRequest({ isSet: false, cmd: 65, data: new Uint8Array(40) });
    for (let i = 0; i < 6; i++) {
      const client = server.connect();
      client.pause(); // asks for a whole table and never reads it
      client.write(encodeFrame(FrameType.Request, 1, request));
    }
    expect(await settled(() => budget.held)).toBe(4 * replyFrame);
    expect(server.log.filter((line) => line.includes('dropping a client'))).toHaveLength(2);

    // A client that reads is answered once the others are gone.
    await server.close();
    server = await budgetServer(budget, largeReplies().backend);
    expect(budget.held).toBe(0);
    const reader = server.connect();
    const decoder = new FrameDecoder({ maxPayload: 2 * REPLY_SIZE });
    const answered = new Promise<number>((resolve) =>
      reader.on('data', (chunk) => {
        for (const frame of decoder.push(chunk))
          if (frame.type !== FrameType.Hello) resolve(frame.payload.length);
      }),
    );
    reader.write(encodeFrame(FrameType.Request, 1, request));
    expect(await answered).toBe(4 + REPLY_SIZE);
    expect(await settled(() => budget.held)).toBe(0);
  });
});

describe("a reply's body", () => {
  let server: Awaited<ReturnType<typeof budgetServer>> | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await server?.close();
    server = undefined;
  });

  it("is written from the backend's own bytes, after its frame header and status", async () => {
    const body = Uint8Array.from({ length: REPLY_SIZE }, (_, i) => i % 251);
    server = await budgetServer(new ClientBudget(SERVICE_CLIENT_BUDGET), {
      request: async () => ({ status: 7, body }),
    });
    const written: unknown[] = [];
    const write = Socket.prototype.write;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (this: Socket, ...args) {
      written.push(args[0]);
      return (write as (...a: unknown[]) => boolean).apply(this, args);
    });
    const client = server.connect();
    const decoder = new FrameDecoder({ maxPayload: 2 * REPLY_SIZE });
    const answered = new Promise<Uint8Array>((resolve) =>
      client.on('data', (chunk) => {
        for (const frame of decoder.push(chunk))
          if (frame.type === FrameType.Reply) resolve(frame.payload);
      }),
    );
    const request = encodeMboxRequest({ isSet: false, cmd: 65, data: new Uint8Array(40) });
    client.write(encodeFrame(FrameType.Request, 9, request));
    const payload = await answered;
    // Not copied into a reply and a frame first (two copies of a table in each GET_ENTRIES).
    expect(written).toContain(body);
    expect(Buffer.from(payload.subarray(0, 4)).readInt32LE(0)).toBe(7);
    expect(Buffer.from(payload.subarray(4)).equals(body)).toBe(true);
  });
});
