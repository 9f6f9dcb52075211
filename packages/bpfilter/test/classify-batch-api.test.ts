/**
 * Classification through the front end and the API: one request per classification (the
 * table is not read back: the reply's counters are kept), batches through a real handler
 * process, their counters surviving a SIGKILL of the handler, and the CLI's --batch.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Bpfilter, type PacketDescription } from '@umd/bpfilter';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { killHandler } from './helpers.js';

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ssh - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ssh
-A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable
-A ssh -s 10.0.0.0/8 -j ACCEPT
COMMIT
`;
const SSH: PacketDescription = {
  source: '10.1.2.3',
  destination: '192.0.2.1',
  protocol: 'tcp',
  destinationPort: 22,
  length: 60,
};
const OUTSIDE: PacketDescription = { ...SSH, source: '198.51.100.9' };
const DNS: PacketDescription = { ...SSH, protocol: 'udp', destinationPort: 53 };

const live: Bpfilter[] = [];
afterEach(async () => {
  await Promise.all(live.splice(0).map((b) => b.stop()));
});
async function loaded(): Promise<Bpfilter> {
  const api = new Bpfilter();
  live.push(api);
  await api.restore(RULES);
  return api;
}

describe('classification through the front end', () => {
  it('sends one request per classification and per batch: nothing reads the table back', async () => {
    const api = await loaded();
    await api.classify('filter', 'INPUT', SSH);
    const request = vi.spyOn(api.sockopt!.manager, 'request');
    await api.classify('filter', 'INPUT', OUTSIDE);
    expect(request).toHaveBeenCalledTimes(1);
    await api.classifyBatch('filter', 'INPUT', [SSH, OUTSIDE, DNS]);
    expect(request).toHaveBeenCalledTimes(2);
    // What the front end keeps equals what the handler holds.
    const kept = api.sockopt!.exportState();
    await killHandler(api.sockopt!.manager);
    const input = (await api.listTable('filter')).chains.find((c) => c.name === 'INPUT')!;
    expect(input.rules.map((r) => r.counters?.packets)).toEqual([0n, 4n, 1n]);
    expect(input.counters).toEqual({ packets: 2n, bytes: 120n });
    expect(api.sockopt!.exportState()).toEqual(kept);
  });

  it('a batch: the verdicts of one classify per packet, counters kept across a SIGKILL', async () => {
    const api = await loaded();
    const packets = Array.from({ length: 3000 }, (_, n) => [SSH, OUTSIDE, DNS][n % 3]!);
    const results = await api.classifyBatch('filter', 'INPUT', packets);
    expect(results.slice(0, 3)).toEqual([
      { verdict: 'ACCEPT', rule: { chain: 'ssh', rule: 1 } },
      { verdict: 'DROP', rule: { chain: 'INPUT', policy: true } },
      {
        verdict: 'REJECT',
        rejectWith: 'icmp-port-unreachable',
        rule: { chain: 'INPUT', rule: 3 },
      },
    ]);
    for (const packet of [SSH, OUTSIDE, DNS])
      expect(await api.classify('filter', 'INPUT', packet)).toMatchObject(
        results[[SSH, OUTSIDE, DNS].indexOf(packet)]!,
      );
    await killHandler(api.sockopt!.manager);
    const table = await api.listTable('filter');
    const input = table.chains.find((c) => c.name === 'INPUT')!;
    expect(input.rules[1]!.counters).toEqual({ packets: 2002n, bytes: 2002n * 60n });
    expect(input.rules[2]!.counters).toEqual({ packets: 1001n, bytes: 1001n * 60n });
    expect(table.chains.find((c) => c.name === 'ssh')!.rules[0]!.counters?.packets).toBe(1001n);
  });

  it('refuses a batch it cannot send with UMD_INVALID_ARGUMENT naming the packet, counting nothing', async () => {
    const api = await loaded();
    const before = await api.listTable('filter');
    const bad: unknown[] = [
      [SSH, { ...SSH, source: '300.1.1.1' }],
      [SSH, { ...SSH, time: 5 }],
      [{ ...SSH, tcpOptions: [40] }],
      [null],
    ];
    for (const packets of bad) {
      await expect(
        api.classifyBatch('filter', 'INPUT', packets as PacketDescription[]),
      ).rejects.toMatchObject({ code: 'UMD_INVALID_ARGUMENT' });
    }
    await expect(api.classifyBatch('filter', 'NOPE', [SSH])).rejects.toMatchObject({
      code: 'UMD_HANDLER_ERROR',
      handlerCode: -22,
    });
    expect(await api.listTable('filter')).toEqual(before);
  });
});

describe('bpfilter classify --batch', () => {
  it('reads one JSON packet per line and prints one verdict line per packet', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const run = (args: string[], input: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [cli, ...args]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
        child.stdin.end(input);
      });
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(`${tmpdir()}/bpfilter-batch-`);
    try {
      const state = `${dir}/state.json`;
      expect((await run(['restore', '--state', state], RULES)).code).toBe(0);
      const lines = `${[SSH, OUTSIDE, DNS].map((p) => JSON.stringify(p)).join('\n')}\n`;
      const out = await run(
        ['classify', '--state', state, '--hook', 'INPUT', '--batch', '-'],
        lines,
      );
      expect(out).toEqual({
        code: 0,
        stderr: '',
        stdout:
          '1 ACCEPT ssh rule 1\n2 DROP INPUT policy\n3 REJECT icmp-port-unreachable INPUT rule 3\n',
      });
      await writeFile(`${dir}/bad.jsonl`, `${JSON.stringify(SSH)}\n{not json\n`);
      const bad = await run(
        ['classify', '--state', state, '--hook', 'INPUT', '--batch', `${dir}/bad.jsonl`],
        '',
      );
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('line 2 is not JSON');
      const saved = await run(['save', '-c', '--state', state], '');
      expect(saved.stdout).toContain('[2:120] -A INPUT -p tcp -m tcp --dport 22 -j ssh');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
