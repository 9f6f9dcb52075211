import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { encodeFrame, FrameDecoder, FrameType } from '@umd/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeMboxRequest } from '../abi/mbox.js';
import type { ServiceBackend } from './backend.js';
import { connectService } from './client.js';
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
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bpfilter-conn-'));
  });
  afterEach(async () => {
    rogue?.destroy();
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
});
