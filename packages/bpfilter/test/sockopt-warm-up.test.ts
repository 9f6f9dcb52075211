/**
 * The front end's warm-up (src/sockopt/warm-up.ts) runs a replace's path on a warm-up table
 * and changes nothing: no table comes into use in the handler, nothing is kept; the handler's
 * check (`UMD_CMD_CHECK_REPLACE`) takes nothing and answers the digest a replace would.
 */
import { BpfilterSockopt } from '@umd/bpfilter';
import { describe, expect, it, vi } from 'vitest';
import {
  Errno,
  TABLE_DIGEST_SIZE,
  UMD_CMD_CHECK_REPLACE,
  UMD_CMD_REPLACE,
  decodeMboxRequest,
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

describe('the warm-up rounds', () => {
  it('check and compile the small table first, then the large one (V8 optimizes for what it saw)', async () => {
    const core = createHandlerCore();
    const checked: number[] = [];
    const compiled: number[] = [];
    const rehearsed: number[] = [];
    const kinds: boolean[] = [];
    const send = async (request: Uint8Array) => {
      const { cmd, data } = decodeMboxRequest(request)!;
      if (cmd === UMD_CMD_CHECK_REPLACE) checked.push(decodeReplace(data).numEntries);
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
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sockopt.stop();
    await expect(warming).resolves.toBeUndefined();
    const pid = sockopt.manager.pid;
    expect(pid === undefined || !isAlive(pid)).toBe(true);
  });
});
