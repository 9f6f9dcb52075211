import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bpfilter, serve, type Table } from '@umd/bpfilter';
import { describe, expect, it } from 'vitest';
import { isAlive } from './helpers.js';
import { loadVectors } from './vectors/replay.js';
import { bpfilter, SSH, SSH_OUTSIDE, TABLE } from './api-fixtures.js';

// Found by trying it (session 14): enforce: 'false' (a string) turned enforcement on, a
// manager of 5 was ignored, Bpfilter.connect(5) and --socket 5 connected to TCP port 5 of this
// machine, and new Bpfilter(null) and serve(null) were TypeErrors.
describe('options that cannot mean what they say are UMD_INVALID_ARGUMENT', () => {
  it('enforce, manager, a socket path that is a number, null options', async () => {
    for (const options of [{ enforce: 'false' }, { enforce: 1 }, { manager: 5 }]) {
      let caught: unknown;
      try {
        new Bpfilter(options as never);
      } catch (error) {
        caught = error;
      }
      expect(caught, JSON.stringify(options)).toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    }
    await expect(Bpfilter.connect(5 as never)).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    // A path of digits is a path (relative, here missing), not port 5 of 127.0.0.1.
    await expect(Bpfilter.connect('5')).rejects.toMatchObject({
      code: 'UMD_START_FAILED',
      message: expect.stringContaining('ENOENT'),
    });
    await expect(serve(null as never)).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    // serve({ socketPath: '5' }) listens on a socket file named 5 (it bound TCP port 5 on every
    // address until its chmod of '5' failed the start).
    const dir = mkdtempSync(join(tmpdir(), 'bpfilter-digits-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const service = await serve({ socketPath: '5' });
      expect(lstatSync(join(dir, '5')).isSocket()).toBe(true);
      await service.close();
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true, force: true });
    }
    // null call options mean none, as for the manager (TypeErrors before).
    const defaults = new Bpfilter(null as never);
    expect(await defaults.tableNames(null as never)).toEqual([]);
    expect(await defaults.save(null as never)).toBe('');
    await expect(defaults.restore('*filter\nCOMMIT\n', null as never)).resolves.toEqual(['filter']);
    expect((await defaults.listTable('filter', null as never)).chains).toHaveLength(3);
    await defaults.stop();
  });
});

describe('await using', () => {
  it('stops the handler when the scope ends', async () => {
    let pid: number | undefined;
    {
      await using scoped = new Bpfilter();
      expect(await scoped.tableNames()).toEqual([]);
      pid = scoped.sockopt?.manager.pid;
      expect(pid).toBeDefined();
    }
    expect(isAlive(pid as number)).toBe(false);
  });
});

describe('Bpfilter API', () => {
  it('reads back a replaced table as the same chains and rules', async () => {
    const api = bpfilter();
    const { oldCounters } = await api.replaceTable('filter', TABLE);
    expect(oldCounters).toHaveLength(4); // the empty table: 3 policies and the final ERROR entry
    expect(await api.listTable('filter')).toEqual(TABLE);
    expect(await api.tableNames()).toEqual(['filter']);
  });

  it('classifies with the verdict, the deciding rule, LOG events and updated counters', async () => {
    const api = bpfilter();
    await api.replaceTable('filter', TABLE);
    const inside = await api.classify('filter', 'INPUT', SSH);
    expect(inside).toMatchObject({ verdict: 'ACCEPT', rule: { chain: 'ssh', rule: 1 }, logs: [] });
    const outside = await api.classify('filter', 'INPUT', SSH_OUTSIDE);
    expect(outside).toMatchObject({
      verdict: 'DROP',
      rule: { chain: 'INPUT', policy: true },
      logs: [{ chain: 'INPUT', rule: 2, prefix: 'ssh ' }],
    });
    const dns = await api.classify('filter', 'INPUT', {
      source: '198.51.100.1',
      destination: '192.0.2.1',
      protocol: 'udp',
      sourcePort: 5353,
      destinationPort: 53,
    });
    expect(dns).toMatchObject({
      verdict: 'REJECT',
      rejectWith: 'icmp-port-unreachable',
      rule: { chain: 'INPUT', rule: 4 },
    });
    const table = await api.listTable('filter');
    const rule = (chain: string, n: number) =>
      table.chains.find((c) => c.name === chain)!.rules[n - 1]!.counters;
    expect(rule('INPUT', 3)).toEqual({ packets: 2n, bytes: 120n }); // both ssh packets jumped
    expect(rule('ssh', 1)).toEqual({ packets: 1n, bytes: 60n });
    expect(table.chains.find((c) => c.name === 'INPUT')!.counters).toEqual({
      packets: 1n,
      bytes: 60n,
    });
  });

  it('reports a rule it cannot evaluate as CANNOT_EVALUATE, never as a match or a skip', async () => {
    const api = bpfilter();
    const table: Table = structuredClone(TABLE);
    table.chains[0]!.rules.unshift({
      matches: [{ kind: 'raw', name: 'cpu', revision: 0, data: new Uint8Array(8) }],
      target: { kind: 'verdict', verdict: 'ACCEPT' },
    });
    await api.replaceTable('filter', table);
    const result = await api.classify('filter', 'INPUT', SSH);
    expect(result).toMatchObject({
      verdict: 'CANNOT_EVALUATE',
      rule: { chain: 'INPUT', rule: 1 },
      cannotEvaluate: { kind: 'match', name: 'cpu' },
    });
  });

  it('refuses a table the kernel would refuse with a typed error and keeps the old one', async () => {
    const api = bpfilter();
    await api.replaceTable('filter', TABLE);
    const loop: Table = structuredClone(TABLE);
    loop.chains
      .find((c) => c.name === 'ssh')!
      .rules.unshift({ target: { kind: 'jump', chain: 'ssh' } });
    await expect(api.replaceTable('filter', loop)).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -40,
    }); // ELOOP
    await expect(
      api.replaceTable('filter', { ...TABLE, chains: TABLE.chains.slice(1) }),
    ).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    await expect(api.replaceTable('raw', TABLE)).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    await expect(api.listTable('broute')).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -2,
    });
    await expect(api.classify('filter', 'NOPE', SSH)).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
    });
    // An interface name is a C string: one with a NUL is refused, not matched as a prefix.
    const nul = { ...SSH, inInterface: 'eth\0x' };
    await expect(api.classify('filter', 'INPUT', nul)).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
    });
    await expect(api.classifyBatch('filter', 'INPUT', [nul])).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
    expect(await api.listTable('filter')).toEqual(TABLE);
  });

  it('restores iptables-save text and saves it back exactly (every vector state)', async () => {
    for (const step of loadVectors('basic.jsonl').slice(-5)) {
      const api = bpfilter();
      const restored = await api.restore(step.save_after);
      expect(await api.save({ tables: restored })).toBe(step.save_after);
      await api.stop();
    }
  });

  it('restore keeps the policy of a built-in chain the text does not declare, and loads counters only with -c', async () => {
    const api = bpfilter();
    await api.restore('*filter\n:FORWARD DROP [0:0]\nCOMMIT\n');
    await api.restore('*filter\n:INPUT DROP [9:900]\n[3:300] -A INPUT -j ACCEPT\nCOMMIT\n');
    expect(await api.save({ tables: ['filter'], counters: true })).toBe(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n[0:0] -A INPUT -j ACCEPT\nCOMMIT\n',
    );
    await api.restore('*filter\n:INPUT DROP [9:900]\n[3:300] -A INPUT -j ACCEPT\nCOMMIT\n', {
      counters: true,
    });
    expect(await api.save({ tables: ['filter'], counters: true })).toBe(
      '*filter\n:INPUT DROP [9:900]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n[3:300] -A INPUT -j ACCEPT\nCOMMIT\n',
    );
    await expect(api.restore('*filter\n-A INPUT -j nowhere\nCOMMIT\n')).rejects.toMatchObject({
      code: 'UMD_INVALID_ARGUMENT',
    });
  });
});

describe('Bpfilter.connect is bounded by its timeoutMs and signal', () => {
  it('a listener that never says HELLO: UMD_TIMEOUT, UMD_ABORTED; bad options refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bpfilter-silent-'));
    const path = join(dir, 'silent.sock');
    const accepted: Socket[] = [];
    const server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      await expect(Bpfilter.connect(path, { timeoutMs: 100 })).rejects.toMatchObject({
        code: 'UMD_TIMEOUT',
      });
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await expect(Bpfilter.connect(path, { signal: controller.signal })).rejects.toMatchObject({
        code: 'UMD_ABORTED',
      });
      // Aborted before the call: nothing connects.
      const before = accepted.length;
      await expect(Bpfilter.connect(path, { signal: AbortSignal.abort() })).rejects.toMatchObject({
        code: 'UMD_ABORTED',
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(accepted.length).toBe(before);
      for (const timeoutMs of [0, -1, Number.NaN, 2 ** 31, 1.5, '100'])
        await expect(
          Bpfilter.connect(path, { timeoutMs: timeoutMs as number }),
        ).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
      // Every connection the calls made was closed by them.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(accepted.every((socket) => socket.readableEnded || socket.destroyed)).toBe(true);
    } finally {
      for (const socket of accepted) socket.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
