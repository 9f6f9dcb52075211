import { lstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bpfilter, serve, type Table } from '@umd/bpfilter';
import { afterEach, describe, expect, it } from 'vitest';
import { answeringPid, isAlive, killHandler } from './helpers.js';
import { loadVectors } from './vectors/replay.js';

const live: Bpfilter[] = [];
function bpfilter(): Bpfilter {
  const instance = new Bpfilter();
  live.push(instance);
  return instance;
}
afterEach(async () => {
  const pids = live
    .map((b) => b.sockopt?.manager.pid)
    .filter((pid): pid is number => pid !== undefined);
  await Promise.all(live.splice(0).map((b) => b.stop()));
  for (const pid of pids) expect(isAlive(pid)).toBe(false);
});

const zero = { packets: 0n, bytes: 0n };
/** A table using every supported feature. */
const TABLE: Table = {
  name: 'filter',
  chains: [
    {
      name: 'INPUT',
      policy: 'DROP',
      counters: zero,
      rules: [
        { inInterface: 'lo', target: { kind: 'verdict', verdict: 'ACCEPT' }, counters: zero },
        {
          source: '10.0.0.0/8',
          protocol: 6,
          invert: { source: true },
          matches: [
            { kind: 'tcp', destinationPorts: [22, 22], flags: { mask: 0x12, compare: 0x02 } },
          ],
          target: { kind: 'log', level: 4, prefix: 'ssh ', flags: 0 },
          counters: zero,
        },
        {
          protocol: 6,
          matches: [{ kind: 'tcp', destinationPorts: [22, 22] }],
          target: { kind: 'jump', chain: 'ssh' },
          counters: zero,
        },
        {
          protocol: 17,
          matches: [{ kind: 'udp', sourcePorts: [53, 53], invert: { sourcePorts: true } }],
          target: { kind: 'reject', with: 'icmp-port-unreachable' },
          counters: zero,
        },
        {
          protocol: 1,
          matches: [{ kind: 'icmp', type: 8 }],
          target: { kind: 'goto', chain: 'ping' },
          counters: zero,
        },
        {
          outInterface: 'eth+',
          fragment: true,
          target: { kind: 'verdict', verdict: 'DROP' },
          counters: zero,
        },
      ],
    },
    { name: 'FORWARD', policy: 'ACCEPT', counters: zero, rules: [] },
    { name: 'OUTPUT', policy: 'ACCEPT', counters: zero, rules: [] },
    {
      name: 'ping',
      counters: zero,
      rules: [
        {
          destination: '192.0.2.1/32',
          target: { kind: 'verdict', verdict: 'ACCEPT' },
          counters: zero,
        },
      ],
    },
    {
      name: 'ssh',
      counters: zero,
      rules: [
        { source: '10.0.0.0/8', target: { kind: 'verdict', verdict: 'ACCEPT' }, counters: zero },
        { target: { kind: 'verdict', verdict: 'RETURN' }, counters: zero },
      ],
    },
  ],
};

const SSH = {
  source: '10.1.2.3',
  destination: '192.0.2.1',
  protocol: 'tcp' as const,
  sourcePort: 40000,
  destinationPort: 22,
  inInterface: 'eth0',
  tcpFlags: ['SYN'],
  length: 60,
};
const SSH_OUTSIDE = { ...SSH, source: '203.0.113.9' };

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

describe('Bpfilter: restart', () => {
  it('SIGKILL between calls: same rules, same verdicts, counters kept', async () => {
    const api = bpfilter();
    await api.replaceTable('filter', TABLE);
    const verdicts = async () =>
      [
        await api.classify('filter', 'INPUT', SSH),
        await api.classify('filter', 'INPUT', SSH_OUTSIDE),
      ].map((r) => [r.verdict, r.rule]);
    const first = await verdicts();
    const before = await api.listTable('filter');
    const pid = await killHandler(api.sockopt!.manager);
    expect(await api.listTable('filter')).toEqual(before);
    expect(api.sockopt!.manager.pid).not.toBe(pid);
    expect(await verdicts()).toEqual(first);
    const after = await api.listTable('filter');
    expect(after.chains.find((c) => c.name === 'ssh')!.rules[0]!.counters).toEqual({
      packets: 2n,
      bytes: 120n,
    });
  });

  it('SIGKILL while classifications are in flight: every acknowledged counter update survives, no other', async () => {
    const api = bpfilter();
    await api.replaceTable('filter', TABLE);
    const firstPid = api.sockopt!.manager.pid!;
    // The handler itself: with its supervisor killed, the handler went on answering until all
    // 40 were acknowledged (the pid unchanged after them, once at load 27).
    const handler = answeringPid(api.sockopt!.manager);
    const calls = Array.from({ length: 40 }, () => api.classify('filter', 'INPUT', SSH));
    // The calls run one after another; the kill lands as the 11th is sent or answered.
    void calls[9]!.then(() => process.kill(handler, 'SIGKILL'));
    const settled = await Promise.allSettled(calls);
    const acknowledged = settled.filter((r) => r.status === 'fulfilled').length;
    expect(acknowledged).toBeGreaterThanOrEqual(10);
    expect(api.sockopt!.manager.pid).not.toBe(firstPid);
    for (const failure of settled.filter((r) => r.status === 'rejected')) {
      expect((failure as PromiseRejectedResult).reason).toMatchObject({
        code: expect.stringMatching(/^UMD_(HANDLER_EXITED|CLOSED)$/),
      });
    }
    const table = await api.listTable('filter');
    expect(table.chains.find((c) => c.name === 'ssh')!.rules[0]!.counters).toEqual({
      packets: BigInt(acknowledged),
      bytes: BigInt(60 * acknowledged),
    });
  });
});
