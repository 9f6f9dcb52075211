/**
 * A caller that gives up (its signal aborts) after its change reached the handler: the
 * handler has applied it, so the front end must keep it too, as the kernel completes a
 * setsockopt whatever happens to its caller. Otherwise iptables would read the new table
 * from the handler while the kept copy (what a restarted handler, the state file and the
 * enforced kernel tables get) stays old: a table that changes back after a restart.
 */
import { BpfilterSockopt } from '@umd/bpfilter';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeGetinfo, encodeGetEntries, fromHex, toHex } from '../src/abi/index.js';
import { handlerGet, isAlive, killHandler } from './helpers.js';
import { loadVectors, OPTION_NUMBERS } from './vectors/replay.js';

const GET_INFO = OPTION_NUMBERS.IPT_SO_GET_INFO!;
const GET_ENTRIES = OPTION_NUMBERS.IPT_SO_GET_ENTRIES!;
const SET_REPLACE = OPTION_NUMBERS.IPT_SO_SET_REPLACE!;

/** libiptc's first SET_REPLACE of a fresh filter table (iptables -A), captured from a kernel. */
const replace = fromHex(
  loadVectors('basic.jsonl')[1]!.calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE')!.hex,
);

const live: BpfilterSockopt[] = [];
afterEach(async () => {
  const pids = live.map((s) => s.manager.pid).filter((pid): pid is number => pid !== undefined);
  await Promise.all(live.splice(0).map((s) => s.stop()));
  for (const pid of pids) expect(isAlive(pid), `handler ${pid} still alive`).toBe(false);
});

/**
 * GET_INFO + GET_ENTRIES of filter, as hex: what iptables reads (the front end answers from
 * its kept copy), checked to be what the handler itself holds.
 */
async function filterTable(sockopt: BpfilterSockopt): Promise<string> {
  const read = async (get: typeof handlerGet) => {
    const name = new Uint8Array(84);
    new TextEncoder().encodeInto('filter', name);
    const info = await get(sockopt, GET_INFO, name);
    const { size } = decodeGetinfo(info.data!);
    const entries = await get(
      sockopt,
      GET_ENTRIES,
      encodeGetEntries('filter', new Uint8Array(size)),
    );
    return `${toHex(info.data!)}/${toHex(entries.data!)}`;
  };
  const kept = await read((s, optname, optval) => s.getsockopt(optname, optval));
  expect(await read(handlerGet)).toBe(kept);
  return kept;
}

/** Aborts `controller` as soon as a request with `cmd` has been handed to the handler. */
function abortOnceSent(sockopt: BpfilterSockopt, isSet: boolean, controller: AbortController) {
  const request = sockopt.manager.request.bind(sockopt.manager);
  sockopt.manager.request = ((payload, options) => {
    const sent = request(payload, options);
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    if ((view.getUint32(12, true) !== 0) === isSet) controller.abort();
    return sent;
  }) as typeof sockopt.manager.request;
}

describe('BpfilterSockopt: a caller that gives up once its change is sent', () => {
  it('SET_REPLACE completes and is kept: the table read back survives a handler restart', async () => {
    const sockopt = new BpfilterSockopt();
    live.push(sockopt);
    const before = await filterTable(sockopt);
    const controller = new AbortController();
    abortOnceSent(sockopt, true, controller);

    const result = await sockopt.setsockopt(SET_REPLACE, replace, { signal: controller.signal });
    expect(controller.signal.aborted).toBe(true);
    expect(result.status).toBe(0);
    const after = await filterTable(sockopt);
    expect(after).not.toBe(before);

    await killHandler(sockopt.manager);
    expect(await filterTable(sockopt)).toBe(after);
  });

  it('a classification completes and its counters are kept', async () => {
    const sockopt = new BpfilterSockopt();
    live.push(sockopt);
    await sockopt.setsockopt(SET_REPLACE, replace);
    const packet = new TextEncoder().encode(
      JSON.stringify({
        table: 'filter',
        hook: 'INPUT',
        packet: { source: '10.0.0.1', destination: '10.0.0.2', protocol: 'tcp', length: 60 },
      }),
    );
    const controller = new AbortController();
    abortOnceSent(sockopt, false, controller);
    const classified = await sockopt.classify('filter', packet, { signal: controller.signal });
    expect(classified.status).toBe(0);
    const counted = await filterTable(sockopt);

    await killHandler(sockopt.manager);
    expect(await filterTable(sockopt)).toBe(counted);
  });
});
