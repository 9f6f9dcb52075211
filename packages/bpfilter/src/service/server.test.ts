import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  isUmdError,
  UmdError,
  UmdErrorCode,
} from '@umd/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UMD_CMD_TABLE_NAMES } from '../abi/constants.js';
import type { MboxRequest } from '../abi/mbox.js';
import type { ServiceBackend } from './backend.js';
import { connectService } from './client.js';
import { serve, type BpfilterService } from './server.js';

/** A backend that records what reached it and answers from a script. */
function recordingBackend(
  answer: (
    request: MboxRequest,
  ) => Promise<{ status: number; body?: Uint8Array }> | { status: number; body?: Uint8Array },
) {
  const seen: MboxRequest[] = [];
  let closed = 0;
  const backend: ServiceBackend = {
    request: async (request) => {
      seen.push({ ...request, data: request.data.slice() });
      return answer(request);
    },
    close: async () => {
      closed++;
    },
  };
  return { backend, seen, closed: () => closed };
}

describe('serve()', () => {
  let dir: string;
  let service: BpfilterService | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfilter-serve-'));
  });
  afterEach(async () => {
    await service?.close();
    service = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries a get and a set to the backend and their answers back, socket mode 0600', async () => {
    const { backend, seen } = recordingBackend((r) =>
      r.isSet
        ? { status: 0, body: new Uint8Array([9, 9]) }
        : { status: 0, body: r.data.map((b) => b + 1) },
    );
    service = await serve({ socketPath: join(dir, 's'), backend });
    expect(statSync(service.socketPath).mode & 0o777).toBe(0o600);
    const client = await connectService(service.socketPath);
    const got = await client.getsockopt(64, new Uint8Array([1, 2, 3]));
    expect(got).toEqual({ status: 0, data: new Uint8Array([2, 3, 4]) });
    const set = await client.setsockopt(64, new Uint8Array([7]));
    expect(set).toEqual({ status: 0, data: new Uint8Array([9, 9]) });
    client.close();
    expect(seen.map((r) => ({ isSet: r.isSet, cmd: r.cmd, len: r.len, pid: r.pid }))).toEqual([
      { isSet: false, cmd: 64, len: 3, pid: process.pid },
      { isSet: true, cmd: 64, len: 1, pid: process.pid },
    ]);
  });

  it('passes negative statuses through and turns a backend failure into an ERROR frame', async () => {
    const { backend } = recordingBackend((r) => {
      if (r.cmd === 65) throw new UmdError(UmdErrorCode.START_FAILED, 'handler would not start');
      if (r.cmd === 66)
        throw new UmdError(UmdErrorCode.HANDLER_ERROR, 'TABLE_NAMES answered -12', {
          handlerCode: -12,
        });
      return { status: -2 };
    });
    service = await serve({ socketPath: join(dir, 's'), backend });
    const client = await connectService(service.socketPath);
    expect(await client.getsockopt(64, new Uint8Array(84))).toEqual({
      status: -2,
      data: new Uint8Array(0),
    });
    const failure = await client.getsockopt(65, new Uint8Array(40)).catch((e: unknown) => e);
    expect(isUmdError(failure) && failure.code).toBe('UMD_HANDLER_ERROR');
    expect(isUmdError(failure) && failure.handlerCode).toBe(-112); // EHOSTDOWN
    expect((failure as Error).message).toContain('handler would not start');
    const refused = await client.getsockopt(66, new Uint8Array(30)).catch((e: unknown) => e);
    expect(isUmdError(refused) && refused.handlerCode).toBe(-12); // bpfilter's own errno, passed on
    client.close();
  });

  it('answers the table-names command through the backend', async () => {
    const { backend } = recordingBackend((r) =>
      r.cmd === UMD_CMD_TABLE_NAMES
        ? { status: 0, body: new TextEncoder().encode('raw\nfilter\n') }
        : { status: -22 },
    );
    service = await serve({ socketPath: join(dir, 's'), backend });
    const client = await connectService(service.socketPath);
    expect(await client.tableNames()).toEqual(['raw', 'filter']);
    client.close();
  });

  it('runs requests of many clients one at a time', async () => {
    let running = 0;
    let most = 0;
    const { backend, seen } = recordingBackend(async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return { status: 0 };
    });
    service = await serve({ socketPath: join(dir, 's'), backend });
    const clients = await Promise.all([1, 2, 3, 4].map(() => connectService(service!.socketPath)));
    await Promise.all(
      clients.flatMap((c, i) => [
        c.setsockopt(64, new Uint8Array([i])),
        c.setsockopt(65, new Uint8Array([i])),
      ]),
    );
    expect(seen).toHaveLength(8);
    expect(most).toBe(1);
    for (const c of clients) c.close();
  });

  it('drops a client that breaks the framing, and keeps serving others', async () => {
    const { backend } = recordingBackend(() => ({ status: 0 }));
    service = await serve({ socketPath: join(dir, 's'), backend });
    const rogue = createConnection(service.socketPath);
    const decoder = new FrameDecoder();
    const frames: number[] = [];
    rogue.on('data', (chunk) => frames.push(...decoder.push(chunk).map((f) => f.type)));
    const closed = new Promise((resolve) => rogue.once('close', resolve));
    rogue.write(Buffer.from('not a umd frame at all'));
    await closed;
    expect(frames).toEqual([FrameType.Hello]);
    const client = await connectService(service.socketPath);
    expect((await client.getsockopt(64, new Uint8Array(84))).status).toBe(0);
    client.close();
  });

  it('refuses a request shorter than the mbox header with an ERROR frame', async () => {
    const { backend, seen } = recordingBackend(() => ({ status: 0 }));
    service = await serve({ socketPath: join(dir, 's'), backend });
    const socket = createConnection(service.socketPath);
    const decoder = new FrameDecoder();
    const reply = new Promise<{ type: number; id: number }>((resolve) =>
      socket.on('data', (chunk) => {
        for (const f of decoder.push(chunk))
          if (f.type !== FrameType.Hello) resolve({ type: f.type, id: f.id });
      }),
    );
    socket.write(encodeFrame(FrameType.Request, 5, new Uint8Array(10)));
    expect(await reply).toEqual({ type: FrameType.Error, id: 5 });
    expect(seen).toHaveLength(0);
    socket.destroy();
  });

  it('replaces a stale socket file, refuses a live one and a regular file', async () => {
    const path = join(dir, 's');
    const first = await serve({
      socketPath: path,
      backend: recordingBackend(() => ({ status: 0 })).backend,
    });
    const second = await serve({
      socketPath: path,
      backend: recordingBackend(() => ({ status: 0 })).backend,
    }).catch((e: unknown) => e);
    expect(isUmdError(second) && second.code).toBe('UMD_INVALID_ARGUMENT');
    await first.close();
    writeFileSync(join(dir, 'file'), 'x');
    const onFile = await serve({
      socketPath: join(dir, 'file'),
      backend: recordingBackend(() => ({ status: 0 })).backend,
    }).catch((e: unknown) => e);
    expect(isUmdError(onFile) && onFile.message).toContain('not a socket');
  });

  it('close() is idempotent, closes the backend once and removes the socket', async () => {
    const rec = recordingBackend(() => ({ status: 0 }));
    const s = await serve({ socketPath: join(dir, 's'), backend: rec.backend });
    const client = await connectService(s.socketPath);
    await Promise.all([s.close(), s.close()]);
    expect(rec.closed()).toBe(1);
    expect(() => statSync(s.socketPath)).toThrow();
    await expect(client.getsockopt(64, new Uint8Array(1))).rejects.toThrow();
    client.close();
  });
});
