/**
 * The front end's warm-up (src/sockopt/warm-up.ts) runs a replace's path on a warm-up table
 * and changes nothing: no table comes into use in the handler, nothing is kept; the handler's
 * check (`UMD_CMD_CHECK_REPLACE`) takes nothing and answers the digest a replace would, and its
 * rehearsal (`UMD_CMD_REHEARSE_REPLACE`) runs a replace and an add of counters on a store of
 * its own: the handler's tables, counters and GET_ENTRIES answers stay as they were.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { BpfilterSockopt } from '@umd/bpfilter';
import { describe, expect, it, vi } from 'vitest';
import {
  Errno,
  TABLE_DIGEST_SIZE,
  UMD_CMD_CHECK_REPLACE,
  UMD_CMD_REHEARSE_REPLACE,
  UMD_CMD_REPLACE,
  decodeMboxRequest,
  encodeCountersInfo,
  decodeReplace,
  encodeReplace,
  toHex,
} from '../src/abi/index.js';
import {
  type CompiledTable,
  compileTable,
  type TableEntries,
} from '../src/enforce/compile-table.js';
import { createHandlerCore } from '../src/handler/core.js';
import { WARM_UP_LARGE_RULES, WARM_UP_RULES, warmUpTable } from '../src/model/warm-up-table.js';
import { entryOffsets } from '../src/sockopt/table-snapshot.js';
import { warmUp } from '../src/sockopt/warm-up.js';
import { encodeReplaceRequest } from '../src/model/index.js';
import { parseSave } from '../src/text/parse-save.js';
import { send, tableState } from './handler-core-requests.js';
import { isAlive } from './helpers.js';

const IPT_SO_SET_REPLACE = 64;
const filter = (rule: string) =>
  parseSave(
    `*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rule}\nCOMMIT\n`,
  )[0]!;

describe('UMD_CMD_CHECK_REPLACE', () => {
  it("answers the digest UMD_CMD_REPLACE's receipt carries, and takes nothing", () => {
    const request = encodeReplaceRequest(filter('-A INPUT -p tcp --dport 22 -j ACCEPT'), 4);
    const checking = createHandlerCore();
    const check = send(checking, true, UMD_CMD_CHECK_REPLACE, request);
    expect(check.status).toBe(0);
    expect(checking.store.names()).toEqual([]);
    const replacing = createHandlerCore();
    const replace = send(replacing, true, UMD_CMD_REPLACE, request);
    expect(replace.status).toBe(0);
    expect(toHex(check.body)).toBe(toHex(replace.body.subarray(-TABLE_DIGEST_SIZE)));
  });

  it('refuses what SET_REPLACE refuses, with the same errno, and the table in use stays', () => {
    const core = createHandlerCore();
    const kept = encodeReplaceRequest(filter('-A INPUT -j ACCEPT'), 4);
    expect(send(core, true, IPT_SO_SET_REPLACE, kept).status).toBe(0);
    const before = tableState(core, 'filter');
    // INPUT's hook entry in the middle of an entry.
    const replace = decodeReplace(encodeReplaceRequest(filter('-A INPUT -j DROP'), 4));
    const hookEntry = replace.hookEntry.with(1, 4) as typeof replace.hookEntry;
    const bad = encodeReplace({ ...replace, hookEntry });
    const check = send(core, true, UMD_CMD_CHECK_REPLACE, bad);
    const fresh = createHandlerCore();
    send(fresh, true, IPT_SO_SET_REPLACE, kept);
    expect(check.status).toBe(send(fresh, true, IPT_SO_SET_REPLACE, bad).status);
    expect(check.status).toBe(-Errno.EINVAL);
    expect(tableState(core, 'filter')).toBe(before);
  });
});

describe('UMD_CMD_REHEARSE_REPLACE', () => {
  const rules = '-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT -s 10.0.0.1/32 -j DROP';

  it("answers the receipt's digest, and the handler's tables, counters and answers stay", () => {
    const core = createHandlerCore();
    const kept = encodeReplaceRequest(filter('-A INPUT -j ACCEPT'), 4);
    expect(send(core, true, IPT_SO_SET_REPLACE, kept).status).toBe(0);
    // Counters of its own on each of the table's 5 entries.
    const counters = Array.from({ length: 5 }, (_, i) => ({
      packets: BigInt(i + 1),
      bytes: BigInt(100 * (i + 1)),
    }));
    expect(send(core, true, 65, encodeCountersInfo({ name: 'filter', counters })).status).toBe(0);
    const before = tableState(core, 'filter');
    const names = core.store.names();
    // num_counters as a client would send it for the table in use (5), and for none (4).
    for (const numCounters of [5, 4]) {
      const request = encodeReplaceRequest(filter(rules), numCounters);
      const rehearsal = send(core, true, UMD_CMD_REHEARSE_REPLACE, request);
      expect(rehearsal.status).toBe(0);
      const replacing = createHandlerCore();
      const replace = send(
        replacing,
        true,
        UMD_CMD_REPLACE,
        encodeReplaceRequest(filter(rules), 4),
      );
      expect(toHex(rehearsal.body)).toBe(toHex(replace.body.subarray(-TABLE_DIGEST_SIZE)));
      expect(tableState(core, 'filter')).toBe(before);
      expect(core.store.names()).toEqual(names);
    }
    // A table not in use does not come into use.
    const mangle = parseSave(
      `*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n`,
    )[0]!;
    expect(send(core, true, UMD_CMD_REHEARSE_REPLACE, encodeReplaceRequest(mangle, 6)).status).toBe(
      0,
    );
    expect(core.store.names()).toEqual(names);
    expect(tableState(core, 'filter')).toBe(before);
  });

  it('runs a replace, one over a table of its size with the receipt, and an add of counters', async () => {
    const set = await import('../src/handler/sockopt-set.js');
    const replace = vi.spyOn(set, 'setReplace');
    const add = vi.spyOn(set, 'setAddCounters');
    try {
      const core = createHandlerCore();
      const request = encodeReplaceRequest(filter(rules), 4);
      expect(send(core, true, UMD_CMD_REHEARSE_REPLACE, request).status).toBe(0);
      expect(replace.mock.calls.map(([store]) => store === core.store)).toEqual([false, false]);
      expect(replace.mock.calls.map(([, , receipt]) => receipt)).toEqual([undefined, true]);
      // The second finds the first's table in use: its 6 entries' old counters (3 chains'
      // policies, 2 rules, the end), then the digest.
      const receipt = replace.mock.results[1]?.value;
      expect(receipt.status).toBe(0);
      expect(receipt.body.length).toBe(6 * 16 + TABLE_DIGEST_SIZE);
      expect(add.mock.calls.map(([, counters]) => counters.length)).toEqual([40 + 6 * 16]);
      expect(add.mock.results[0]?.value).toEqual({ status: 0 });
      expect(core.store.names()).toEqual([]);
    } finally {
      replace.mockRestore();
      add.mockRestore();
    }
  });

  it('refuses what SET_REPLACE refuses, with the same errno', () => {
    const replace = decodeReplace(encodeReplaceRequest(filter('-A INPUT -j DROP'), 4));
    const hookEntry = replace.hookEntry.with(1, 4) as typeof replace.hookEntry;
    const bad = encodeReplace({ ...replace, hookEntry });
    const core = createHandlerCore();
    expect(send(core, true, UMD_CMD_REHEARSE_REPLACE, bad).status).toBe(-Errno.EINVAL);
    expect(send(core, true, UMD_CMD_REHEARSE_REPLACE, bad.subarray(0, 50)).status).toBe(
      send(createHandlerCore(), true, IPT_SO_SET_REPLACE, bad.subarray(0, 50)).status,
    );
    expect(core.store.names()).toEqual([]);
  });
});

describe('the warm-up rounds', () => {
  it('check and compile the small table first, then the large one (V8 optimizes for what it saw)', async () => {
    const core = createHandlerCore();
    const checked: number[] = [];
    const compiled: number[] = [];
    const rehearsed: number[] = [];
    const kinds: boolean[] = [];
    const send = async (request: Uint8Array) => {
      const { cmd, data } = decodeMboxRequest(request)!;
      if (cmd === UMD_CMD_REHEARSE_REPLACE) checked.push(decodeReplace(data).numEntries);
      // The hooks filter has not (PREROUTING, POSTROUTING) as iptables sends them.
      const { hookEntry, underflow } = decodeReplace(data);
      expect([hookEntry[0], hookEntry[4], underflow[0], underflow[4]]).toEqual(
        Array(4).fill(2 ** 32 - 1),
      );
      return core.handle(request);
    };
    const compile = async (table: TableEntries) => {
      compiled.push(entryOffsets(table.entries).length);
      return compileTable({ ...table, netlink: true });
    };
    const rehearse = (table: CompiledTable, entries: Uint8Array) => {
      expect(table.plan.numEntries).toBe(entryOffsets(entries).length);
      rehearsed.push(table.plan.numEntries);
    };
    const runner = { exclusive: (round: () => Promise<void>) => round(), stopped: () => false };
    // The request of each round, as replaceCandidate sees it (the service's kind: a Buffer).
    const candidate = await import('../src/sockopt/replace-candidate.js');
    const spy = vi.spyOn(candidate, 'replaceCandidate');
    await warmUp({ send, compile, rehearse }, runner, 4);
    kinds.push(...spy.mock.calls.map(([request]) => Buffer.isBuffer(request)));
    const small = warmUpTable(WARM_UP_RULES).numEntries;
    const large = warmUpTable(WARM_UP_LARGE_RULES).numEntries;
    expect(large).toBeGreaterThan(4 * small);
    expect(checked).toEqual([small, small, large, large]);
    expect(compiled).toEqual(checked);
    // After each compile, the counters' path on it; and every other request a Buffer.
    expect(rehearsed).toEqual(checked);
    expect(kinds).toEqual([false, true, false, true]);
    expect(core.store.names()).toEqual([]);
  });
});

describe('BpfilterSockopt.warmUp', () => {
  it('runs through the handler and leaves no table in use, nothing kept', async () => {
    const sockopt = new BpfilterSockopt();
    try {
      await sockopt.warmUp({ rounds: 2 });
      expect(sockopt.manager.pid).toBeDefined();
      expect(await sockopt.tableNames()).toEqual([]);
      expect(sockopt.exportState().tables).toEqual([]);
      expect(sockopt.changeCount).toBe(0);
    } finally {
      await sockopt.stop();
    }
  });

  it('ends quietly when the front end stops, and starts no handler after', async () => {
    const sockopt = new BpfilterSockopt();
    const warming = sockopt.warmUp({ rounds: 50 });
    await sleep(50);
    await sockopt.stop();
    await expect(warming).resolves.toBeUndefined();
    const pid = sockopt.manager.pid;
    expect(pid === undefined || !isAlive(pid)).toBe(true);
  });
});
