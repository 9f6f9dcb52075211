import { describe, expect, it } from 'vitest';
import {
  IPT_SO_GET_ENTRIES,
  IPT_SO_GET_INFO,
  IPT_SO_SET_REPLACE,
  UMD_CMD_REPLACE,
  decodeGetinfo,
  decodeMboxReply,
  decodeMboxRequest,
  encodeGetEntriesRequest,
  encodeMboxRequest,
} from '../abi/index.js';
import { encodeReplaceRequest } from '../model/index.js';
import { BpfilterSockopt } from '../sockopt/index.js';
import { parseSave } from '../text/parse-save.js';
import { createDefaultBackend } from './default-backend.js';

// The built handler (the package's build makes it), as the service runs it.
const loader = () => import(new URL('../../dist/loader.js', import.meta.url).href);

const table = (port: number) =>
  parseSave(
    '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
      `-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport ${port} -j ACCEPT\nCOMMIT\n`,
  )[0]!;

/**
 * Records every payload `sockopt`'s manager is sent; `request` sends past the record (the
 * manager's own request, bound).
 */
function recordSent(sockopt: BpfilterSockopt) {
  const { manager } = sockopt;
  const sent: Uint8Array[] = [];
  const request = manager.request.bind(manager);
  manager.request = (payload, options) => {
    sent.push(payload);
    return request(payload, options);
  };
  return { sent, request };
}

describe('the default backend', () => {
  it("sends a client's SET_REPLACE on to the handler in the client's frame, the table not copied", async () => {
    const sockopt = new BpfilterSockopt({ loader });
    const backend = createDefaultBackend({ sockopt });
    const { sent, request } = recordSent(sockopt);
    const signal = new AbortController().signal;
    try {
      // Not kept yet: the kernel's SET_REPLACE; then kept: UMD_CMD_REPLACE, on the receipt.
      for (const [port, numCounters, cmd] of [
        [22, 4, IPT_SO_SET_REPLACE],
        [80, 5, UMD_CMD_REPLACE],
      ] as const) {
        const replace = encodeReplaceRequest(table(port), numCounters);
        const frame = encodeMboxRequest({
          isSet: true,
          cmd: IPT_SO_SET_REPLACE,
          data: replace,
          pid: 4321,
          addr: 0x7000n,
        });
        sent.length = 0;
        const reply = await backend.request(decodeMboxRequest(frame)!, { signal });
        expect(reply.status).toBe(0);
        const inFrame = sent.filter((payload) => payload.buffer === frame.buffer);
        expect(inFrame).toHaveLength(1);
        expect([inFrame[0]!.byteOffset, inFrame[0]!.length]).toEqual([0, frame.length]);
        expect(decodeMboxRequest(inFrame[0]!)).toMatchObject({
          isSet: true,
          cmd,
          len: replace.length,
          pid: 4321,
          addr: 0x7000n,
        });
        // The handler took the table sent, and the front end keeps the one it holds.
        const name = new Uint8Array(84);
        name.set(new TextEncoder().encode('filter'));
        const info = await sockopt.getsockopt(IPT_SO_GET_INFO, name);
        const { size } = decodeGetinfo(info.data!);
        expect(size).toBe(replace.length - 96);
        const entries = new Uint8Array(40 + size);
        entries.set(encodeGetEntriesRequest('filter', size));
        const kept = await sockopt.getsockopt(IPT_SO_GET_ENTRIES, entries);
        // Past the front end (which answers from what it keeps): the handler's own answer.
        const get = encodeMboxRequest({ isSet: false, cmd: IPT_SO_GET_ENTRIES, data: entries });
        const held = decodeMboxReply(await request(get))!;
        expect(held.status).toBe(0);
        expect(held.body).toEqual(kept.data);
      }
    } finally {
      await backend.close?.();
      await sockopt.stop();
    }
  });

  it("leaves an API caller's memory alone: a view's optval is copied, the bytes before it untouched", async () => {
    const sockopt = new BpfilterSockopt({ loader });
    const { sent } = recordSent(sockopt);
    try {
      for (const [port, numCounters] of [
        [22, 4],
        [80, 5],
      ] as const) {
        const replace = encodeReplaceRequest(table(port), numCounters);
        // Room for a header before optval, holding the caller's own bytes.
        const memory = new Uint8Array(64 + replace.length).fill(0xa5, 0, 64);
        const optval = memory.subarray(64);
        optval.set(replace);
        expect((await sockopt.setsockopt(IPT_SO_SET_REPLACE, optval)).status).toBe(0);
        expect(memory.subarray(0, 64).every((byte) => byte === 0xa5)).toBe(true);
        expect(sent.some((payload) => payload.buffer === memory.buffer)).toBe(false);
      }
    } finally {
      await sockopt.stop();
    }
  });
});
