import { describe, expect, it, vi } from 'vitest';
import { encodeReplaceRequest } from '../model/encode.js';
import { parseSave } from '../text/parse-save.js';
import type { CompiledTable } from './compile-table.js';
import { SockoptEnforcement } from './sockopt-enforcement.js';

const TEXT =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
  '-A INPUT -s 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DROP\nCOMMIT\n';

describe("a replace's preparation", () => {
  it('starts the compile before the read of the old counters, and both before it returns', async () => {
    const enforcement = new SockoptEnforcement({
      counterReader: false,
      batchWriter: false,
      compileWorker: false,
      ipsetLookup: false,
    });
    const { enforcer } = enforcement;
    const started: string[] = [];
    const compiled = {} as CompiledTable;
    vi.spyOn(enforcer, 'compile').mockImplementation(async () => {
      started.push('compile');
      return compiled;
    });
    vi.spyOn(enforcer, 'counters').mockImplementation(async () => {
      started.push('counters');
      return [];
    });
    const [table] = parseSave(TEXT);
    const request = encodeReplaceRequest({ name: 'filter', chains: table!.chains }, 4);
    const ticket = enforcement.prepare(undefined, 'filter', request);
    // The compile is the longest step: the read's helper must not run ahead of its start.
    expect(started).toEqual(['compile', 'counters']);
    expect(await ticket.early?.compiled).toBe(compiled);
    expect(await ticket.kernelBefore).toEqual([]);
    enforcement.close();
  });
});
