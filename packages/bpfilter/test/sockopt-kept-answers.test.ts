/**
 * The front end answers GET_INFO and GET_ENTRIES of a table it keeps from its copy, without
 * asking the handler: that copy must be what the handler holds after every kind of change
 * (SET_REPLACE, SET_ADD_COUNTERS, a classification, a refused or abandoned change, a handler
 * restart, a front end started from exported state). Each step compares the two answers, the
 * caller's buffer full of other bytes (what the kernel does not write keeps them).
 */
import { BpfilterSockopt } from '@umd/bpfilter';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeGetinfo,
  encodeCountersInfo,
  encodeGetEntriesRequest,
  fromHex,
  toHex,
} from '../src/abi/index.js';
import { handlerGet, isAlive, killHandler } from './helpers.js';
import { loadVectors, OPTION_NUMBERS } from './vectors/replay.js';

const GET_INFO = OPTION_NUMBERS.IPT_SO_GET_INFO!;
const GET_ENTRIES = OPTION_NUMBERS.IPT_SO_GET_ENTRIES!;
const SET_REPLACE = OPTION_NUMBERS.IPT_SO_SET_REPLACE!;
const SET_ADD_COUNTERS = OPTION_NUMBERS.IPT_SO_SET_ADD_COUNTERS!;

const live: BpfilterSockopt[] = [];
afterEach(async () => {
  const pids = live.map((s) => s.manager.pid).filter((pid): pid is number => pid !== undefined);
  await Promise.all(live.splice(0).map((s) => s.stop()));
  for (const pid of pids) expect(isAlive(pid), `handler ${pid} still alive`).toBe(false);
});

function frontEnd(options: ConstructorParameters<typeof BpfilterSockopt>[0] = {}) {
  const sockopt = new BpfilterSockopt(options);
  live.push(sockopt);
  return sockopt;
}

/** Both answers for `table`: from the front end and from its handler, as hex. */
async function answers(sockopt: BpfilterSockopt, table: string, fill: number) {
  const name = new Uint8Array(84).fill(fill);
  name.set(new TextEncoder().encode(`${table}\0`));
  const keptInfo = await sockopt.getsockopt(GET_INFO, name);
  const handlerInfo = await handlerGet(sockopt, GET_INFO, name);
  const { size } = decodeGetinfo(keptInfo.data!);
  const request = new Uint8Array(40 + size).fill(fill);
  request.set(encodeGetEntriesRequest(table, size));
  const kept = await sockopt.getsockopt(GET_ENTRIES, request);
  const handler = await handlerGet(sockopt, GET_ENTRIES, request);
  return {
    kept: [keptInfo.status, toHex(keptInfo.data!), kept.status, toHex(kept.data!)],
    handler: [handlerInfo.status, toHex(handlerInfo.data!), handler.status, toHex(handler.data!)],
  };
}

/** The front end answers filter and raw as its handler does, caller buffers zero or not. */
async function expectSameAsHandler(sockopt: BpfilterSockopt, step: string): Promise<void> {
  for (const table of ['filter', 'raw'])
    for (const fill of [0, 0xa5]) {
      const { kept, handler } = await answers(sockopt, table, fill);
      expect(kept, `${step}: ${table}`).toEqual(handler);
    }
}

describe('BpfilterSockopt: GET_INFO and GET_ENTRIES from the kept tables', () => {
  it('answers as the handler holds the table after every kind of change', async () => {
    const sockopt = frontEnd();
    const steps = loadVectors('basic.jsonl');
    // Up to "-t raw -A PREROUTING ...": filter with a user chain, raw with a rule.
    for (const step of steps.slice(0, 16)) {
      for (const call of step.calls.filter((c) => c.call === 'set'))
        expect(
          (await sockopt.setsockopt(OPTION_NUMBERS[call.opt]!, fromHex(call.hex))).status,
        ).toBe(0);
      await expectSameAsHandler(sockopt, step.iptables);
    }
    const { numEntries } = decodeGetinfo(
      (await handlerGet(sockopt, GET_INFO, encodeName('filter'))).data!,
    );
    const counters = Array.from({ length: numEntries }, (_, i) => ({
      packets: BigInt(i + 7),
      bytes: BigInt(i * 1500),
    }));
    const add = encodeCountersInfo({ name: 'filter', counters });
    expect((await sockopt.setsockopt(SET_ADD_COUNTERS, add)).status).toBe(0);
    await expectSameAsHandler(sockopt, 'SET_ADD_COUNTERS');

    const packet = { source: '10.1.1.1', destination: '192.0.2.9', protocol: 'tcp', length: 60 };
    for (const hook of ['INPUT', 'OUTPUT']) {
      const body = new TextEncoder().encode(JSON.stringify({ table: 'filter', hook, packet }));
      expect((await sockopt.classify('filter', body)).status).toBe(0);
    }
    await expectSameAsHandler(sockopt, 'classify');

    const replace = fromHex(steps[17]!.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')!.hex);
    const broken = replace.slice();
    broken[96 + 90] = 0x01; // first entry's next_offset no longer lands on an entry
    expect((await sockopt.setsockopt(SET_REPLACE, broken)).status).toBeLessThan(0);
    await expectSameAsHandler(sockopt, 'a refused SET_REPLACE');

    const controller = new AbortController();
    controller.abort();
    await expect(
      sockopt.setsockopt(SET_REPLACE, replace, { signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'UMD_ABORTED' });
    await expectSameAsHandler(sockopt, 'an abandoned SET_REPLACE');

    const before = await answers(sockopt, 'filter', 0);
    await killHandler(sockopt.manager);
    // The kept table answers while no handler runs, and starts none.
    const info = await sockopt.getsockopt(GET_INFO, encodeName('filter'));
    expect(toHex(info.data!)).toBe(before.kept[1]);
    const size = decodeGetinfo(info.data!).size;
    const request = new Uint8Array(40 + size);
    request.set(encodeGetEntriesRequest('filter', size));
    const entries = await sockopt.getsockopt(GET_ENTRIES, request);
    expect(toHex(entries.data!)).toBe(before.kept[3]);
    expect(sockopt.manager.pid).toBeUndefined();
    await expectSameAsHandler(sockopt, 'a restarted handler');

    const next = frontEnd({ state: JSON.parse(JSON.stringify(sockopt.exportState())) });
    await expectSameAsHandler(next, 'a front end started from exported state');
    expect((await answers(next, 'filter', 0)).kept).toEqual(before.kept);
  });
});

function encodeName(table: string): Uint8Array {
  const name = new Uint8Array(84);
  new TextEncoder().encodeInto(table, name);
  return name;
}

describe('BpfilterSockopt: a kept GET_ENTRIES answer is a copy', () => {
  it('leaves the caller’s request as it was, Buffer or not, and answers the same each time', async () => {
    const sockopt = frontEnd();
    for (const step of loadVectors('basic.jsonl').slice(0, 16))
      for (const call of step.calls.filter((c) => c.call === 'set'))
        await sockopt.setsockopt(OPTION_NUMBERS[call.opt]!, fromHex(call.hex));
    const { size } = decodeGetinfo(
      (await sockopt.getsockopt(GET_INFO, encodeName('filter'))).data!,
    );
    const entriesRequest = () => {
      const request = new Uint8Array(40 + size);
      request.set(encodeGetEntriesRequest('filter', size));
      return request;
    };
    const handler = await handlerGet(sockopt, GET_ENTRIES, entriesRequest());
    for (const wrap of [(b: Uint8Array) => b, (b: Uint8Array) => Buffer.from(b)]) {
      const request = wrap(entriesRequest());
      const asSent = toHex(request);
      const answer = await sockopt.getsockopt(GET_ENTRIES, request);
      expect(toHex(answer.data!)).toBe(toHex(handler.data!));
      expect(toHex(request)).toBe(asSent);
      answer.data!.fill(0xee);
      expect(toHex((await sockopt.getsockopt(GET_ENTRIES, request)).data!)).toBe(
        toHex(handler.data!),
      );
    }
  });
});
