import { constants } from 'node:os';
import { BpfilterSockopt } from '@umd/bpfilter';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeCounters,
  decodeGetinfo,
  encodeCountersInfo,
  fromHex,
  toHex,
} from '../src/abi/index.js';
import { countingLoader, fixtureHandler, isAlive, killHandler } from './helpers.js';
import { OPTION_NUMBERS, loadVectors } from './vectors/replay.js';

const ENOPROTOOPT = constants.errno.ENOPROTOOPT;
const kernelEmptyFilter = loadVectors('basic.jsonl')[0]!.calls; // GET_INFO, GET_ENTRIES of a fresh filter table
const filterName = () => {
  const buffer = new Uint8Array(84);
  new TextEncoder().encodeInto('filter', buffer);
  return buffer;
};
/** The filter table's `ipt_getinfo`, through the front end. */
const filterInfo = async (sockopt: BpfilterSockopt) =>
  decodeGetinfo((await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_INFO!, filterName())).data!);

const live: BpfilterSockopt[] = [];
function frontEnd(options: ConstructorParameters<typeof BpfilterSockopt>[0] = {}): BpfilterSockopt {
  const sockopt = new BpfilterSockopt(options);
  live.push(sockopt);
  return sockopt;
}
afterEach(async () => {
  const pids = live.map((s) => s.manager.pid).filter((pid): pid is number => pid !== undefined);
  await Promise.all(live.splice(0).map((s) => s.stop()));
  for (const pid of pids) expect(isAlive(pid), `handler ${pid} still alive`).toBe(false);
});

describe('BpfilterSockopt: the kernel sockopt.c semantics', () => {
  it('answers -ENOPROTOOPT outside the routed ranges without loading or starting anything', async () => {
    const counting = countingLoader();
    const sockopt = frontEnd({ loader: counting.loader });
    for (const optname of [0, 1, 63, 66, 67, 100])
      expect(await sockopt.setsockopt(optname, new Uint8Array(8))).toEqual({
        status: -ENOPROTOOPT,
      });
    for (const optname of [0, 48, 63, 68, 0x1001])
      expect(await sockopt.getsockopt(optname, new Uint8Array(8))).toEqual({
        status: -ENOPROTOOPT,
      });
    expect(counting.imports).toBe(0);
    expect(sockopt.manager.state).toBe('idle');
    expect(sockopt.manager.pid).toBeUndefined();
  });

  it('starts lazily on the first routed call and answers GET_INFO/GET_ENTRIES with the kernel bytes', async () => {
    const counting = countingLoader();
    const sockopt = frontEnd({ loader: counting.loader });
    expect(counting.imports).toBe(0);
    const info = await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_INFO!, filterName());
    expect(counting.imports).toBe(1);
    expect(sockopt.manager.state).toBe('running');
    expect(isAlive(sockopt.manager.pid!)).toBe(true);
    expect(info.status).toBe(0);
    expect(toHex(info.data!)).toBe(kernelEmptyFilter[0]!.hex);
    const request = fromHex(kernelEmptyFilter[1]!.hex);
    request.fill(0, 40); // the caller's buffer: name and size in, entries out
    const entries = await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_ENTRIES!, request);
    expect(entries.status).toBe(0);
    expect(toHex(entries.data!)).toBe(kernelEmptyFilter[1]!.hex);
  });

  it('replays every call iptables-legacy made against a kernel through the front end: same statuses, same bytes', async () => {
    const sockopt = frontEnd();
    for (const step of loadVectors('basic.jsonl')) {
      for (const call of step.calls) {
        const bytes = fromHex(call.hex);
        const optname = OPTION_NUMBERS[call.opt]!;
        if (call.call === 'set') {
          const result = await sockopt.setsockopt(optname, bytes);
          expect(result.status, `${step.iptables}: ${call.opt}`).toBe(call.rc);
          if (call.opt === 'IPT_SO_SET_REPLACE')
            expect(result.oldCounters).toHaveLength(bytes[84]! | (bytes[85]! << 8));
        } else {
          const request = bytes.slice();
          if (call.opt === 'IPT_SO_GET_ENTRIES') request.fill(0, 40);
          if (call.opt === 'IPT_SO_GET_INFO') request.fill(0, 32);
          const result = await sockopt.getsockopt(optname, request);
          expect(result.status, `${step.iptables}: ${call.opt}`).toBe(call.rc);
          // What the caller's buffer holds afterwards: its bytes, overwritten by what came back.
          const buffer = request.slice();
          buffer.set(result.data ?? new Uint8Array(0));
          expect(toHex(buffer), `${step.iptables}: ${call.opt}`).toBe(call.hex);
        }
      }
    }
  });

  it('passes refusals through as negative errnos and keeps the table', async () => {
    const sockopt = frontEnd();
    const replace = fromHex(
      loadVectors('basic.jsonl')[1]!.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')!.hex,
    );
    const broken = replace.slice();
    broken[96 + 90] = 0x01; // first entry's next_offset no longer lands on an entry
    expect((await sockopt.setsockopt(OPTION_NUMBERS.IPT_SO_SET_REPLACE!, broken)).status).toBe(
      -constants.errno.EINVAL,
    );
    const info = await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_INFO!, filterName());
    expect(toHex(info.data!)).toBe(kernelEmptyFilter[0]!.hex);
    expect(sockopt.exportState().tables).toEqual([]);
  });

  it('serializes changes: 30 concurrent SET_ADD_COUNTERS all land, none lost', async () => {
    const sockopt = frontEnd();
    const info = await filterInfo(sockopt);
    const add = encodeCountersInfo({
      name: 'filter',
      counters: Array.from({ length: info.numEntries }, (_, i) => ({
        packets: BigInt(i + 1),
        bytes: 100n,
      })),
    });
    const results = await Promise.all(
      Array.from({ length: 30 }, () =>
        sockopt.setsockopt(OPTION_NUMBERS.IPT_SO_SET_ADD_COUNTERS!, add),
      ),
    );
    expect(results.every((r) => r.status === 0)).toBe(true);
    // The kept table has them all too (added there without a read-back): a new handler
    // starts from it.
    await killHandler(sockopt.manager);
    // A replace hands back the old counters: exactly 30 additions each.
    const replace = fromHex(
      loadVectors('basic.jsonl')[1]!.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')!.hex,
    );
    const result = await sockopt.setsockopt(OPTION_NUMBERS.IPT_SO_SET_REPLACE!, replace);
    expect(result.status).toBe(0);
    expect(decodeCounters(result.data!, 0, info.numEntries)).toEqual(
      Array.from({ length: info.numEntries }, (_, i) => ({
        packets: BigInt(30 * (i + 1)),
        bytes: 3000n,
      })),
    );
  });
});

describe('BpfilterSockopt: cancellation', () => {
  it('a call aborted while it waits for earlier ones rejects with UMD_ABORTED and is never sent', async () => {
    const sockopt = frontEnd();
    const info = await filterInfo(sockopt);
    const add = encodeCountersInfo({
      name: 'filter',
      counters: Array.from({ length: info.numEntries }, () => ({ packets: 1n, bytes: 1n })),
    });
    const controller = new AbortController();
    const calls = Array.from({ length: 10 }, (_, i) =>
      sockopt.setsockopt(
        OPTION_NUMBERS.IPT_SO_SET_ADD_COUNTERS!,
        add,
        i === 9 ? { signal: controller.signal } : {},
      ),
    );
    controller.abort();
    const settled = await Promise.allSettled(calls);
    expect(settled.slice(0, 9).map((r) => r.status === 'fulfilled' && r.value.status)).toEqual(
      Array(9).fill(0),
    );
    expect(settled[9]).toMatchObject({ status: 'rejected', reason: { code: 'UMD_ABORTED' } });
    const replace = fromHex(
      loadVectors('basic.jsonl')[1]!.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')!.hex,
    );
    const result = await sockopt.setsockopt(OPTION_NUMBERS.IPT_SO_SET_REPLACE!, replace);
    expect(result.oldCounters![0]).toEqual({ packets: 9n, bytes: 9n });
  });
});

describe('BpfilterSockopt: the health check after start', () => {
  const unhealthy = fixtureHandler('unhealthy-handler.mjs');

  it('refuses a handler whose get with cmd 0 does not answer 0: the call fails, nothing reaches it', async () => {
    const loader = unhealthy();
    const sockopt = frontEnd({
      loader: async () => loader,
      manager: { restartBudget: { maxStarts: 2, windowMs: 60_000 } },
    });
    const failure = await sockopt
      .getsockopt(OPTION_NUMBERS.IPT_SO_GET_INFO!, filterName())
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({
      code: 'UMD_START_FAILED',
      message: expect.stringContaining('health check'),
    });
    expect(sockopt.manager.pid).toBeUndefined();
  });

  it('starts the real handler only after it passed the check (ready after postStart)', async () => {
    const sockopt = frontEnd();
    const events: string[] = [];
    sockopt.manager.on('start', () => events.push('start'));
    sockopt.manager.on('ready', () => events.push('ready'));
    expect((await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_INFO!, filterName())).status).toBe(
      0,
    );
    expect(events).toEqual(['start', 'ready']);
  });
});

describe('BpfilterSockopt: tables outlive the handler', () => {
  it('restores every committed table and its counters into a new handler before it answers', async () => {
    const sockopt = frontEnd();
    const restores: { pid: number; tables: string[] }[] = [];
    sockopt.on('restore', (event: { pid: number; tables: string[] }) => restores.push(event));
    const steps = loadVectors('basic.jsonl');
    // Up to "-t raw -A PREROUTING ...": filter with user chain, raw with a rule.
    for (const step of steps.slice(0, 16)) {
      for (const call of step.calls.filter((c) => c.call === 'set')) {
        expect(
          (await sockopt.setsockopt(OPTION_NUMBERS[call.opt]!, fromHex(call.hex))).status,
        ).toBe(0);
      }
    }
    const info = await filterInfo(sockopt);
    const counters = Array.from({ length: info.numEntries }, (_, i) => ({
      packets: BigInt(i),
      bytes: BigInt(i * 60),
    }));
    expect(
      (
        await sockopt.setsockopt(
          OPTION_NUMBERS.IPT_SO_SET_ADD_COUNTERS!,
          encodeCountersInfo({ name: 'filter', counters }),
        )
      ).status,
    ).toBe(0);
    const read = async () => {
      const out: string[] = [];
      for (const table of ['filter', 'raw']) {
        const name = new Uint8Array(84);
        new TextEncoder().encodeInto(table, name);
        const got = await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_INFO!, name);
        const tableInfo = decodeGetinfo(got.data!);
        const request = new Uint8Array(40 + tableInfo.size);
        request.set(name.subarray(0, 32));
        new DataView(request.buffer).setUint32(32, tableInfo.size, true);
        out.push(
          toHex(got.data!),
          toHex((await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_ENTRIES!, request)).data!),
        );
      }
      return out;
    };
    const before = await read();
    const names = await sockopt.tableNames();
    const oldPid = await killHandler(sockopt.manager);
    const after = await read();
    expect(sockopt.manager.pid).not.toBe(oldPid);
    expect(after).toEqual(before);
    expect(await sockopt.tableNames()).toEqual(names);
    expect(restores).toEqual([{ pid: sockopt.manager.pid, tables: ['filter', 'raw'] }]);
  });

  it('keeps tables across stop() and exports them as state for a new front end', async () => {
    const first = frontEnd();
    const replace = fromHex(
      loadVectors('basic.jsonl')[1]!.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')!.hex,
    );
    expect((await first.setsockopt(OPTION_NUMBERS.IPT_SO_SET_REPLACE!, replace)).status).toBe(0);
    const entries = async (sockopt: BpfilterSockopt) => {
      const info = await filterInfo(sockopt);
      const request = new Uint8Array(40 + info.size);
      request.set(filterName().subarray(0, 32));
      new DataView(request.buffer).setUint32(32, info.size, true);
      return toHex((await sockopt.getsockopt(OPTION_NUMBERS.IPT_SO_GET_ENTRIES!, request)).data!);
    };
    const before = await entries(first);
    await first.stop();
    expect(await entries(first)).toBe(before);
    const second = frontEnd({ state: JSON.parse(JSON.stringify(first.exportState())) });
    expect(await entries(second)).toBe(before);
  });
});
