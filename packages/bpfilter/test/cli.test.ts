import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type BpfilterService, type SockoptBackend } from '@umd/bpfilter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, killHandler } from './helpers.js';
import { loadVectors } from './vectors/replay.js';

const CLI = fileURLToPath(new URL('../bin/bpfilter.js', import.meta.url));

/** Runs the built CLI: exit code, stdout, stderr. */
function bpfilter(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const RULES = loadVectors('basic.jsonl')[13]!.save_after; // filter with a user chain, REJECT, LOG, --tcp-flags

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bpfilter-cli-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('bpfilter CLI, one-shot (no service)', () => {
  it('prints usage: --help exits 0 on stdout, no command or an unknown one exits 2 on stderr', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['classify', '--help']])
      expect(await bpfilter(args)).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('bpfilter classify --table filter --hook INPUT'),
        stderr: '',
      });
    expect(await bpfilter([])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringMatching(/^bpfilter: no command given\nusage: bpfilter COMMAND/),
    });
    expect(await bpfilter(['frobnicate'])).toMatchObject({
      code: 2,
      stdout: '',
      stderr: expect.stringContaining('unknown command "frobnicate"'),
    });
  });

  it('answers --version with the package version', async () => {
    const { version } = JSON.parse(
      await readFile(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(await bpfilter(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [['classify', '--src', '10.0.0.999', '--dst', '10.0.0.1', '--hook', 'INPUT'], '--src'],
    [['classify', '--src', '10.0.0.1', '--dst', '10.0.0.1', '--hook', 'input'], '--hook'],
    [
      ['classify', '--src', '10.0.0.1', '--dst', '10.0.0.1', '--hook', 'INPUT', '--dport', 'x'],
      '--dport',
    ],
    [
      ['classify', '--src', '10.0.0.1', '--dst', '10.0.0.1', '--hook', 'INPUT', '--bogus'],
      '--bogus',
    ],
    [['list', '--table'], '--table'],
    [['list', 'extra'], 'extra'],
    [['save', '--socket', 'a', '--state', 'b'], '--socket and --state'],
    [['serve'], '--socket PATH is required'],
    [['serve', '--socket', 's', '--frob'], '--frob'],
    [['exec', '--frob', 'iptables'], '--frob'],
    [['exec'], 'no command given'],
  ])('refuses %j with status 2 on stderr, naming %s, having run nothing', async (args, flag) => {
    const { code, stdout, stderr } = await bpfilter(args);
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr.split('\n')[0]).toContain(flag);
    expect(stderr).toContain('usage: bpfilter COMMAND');
  });

  it('--state FILE: restore, then save/list/classify in later invocations see the same tables and counters', async () => {
    const state = join(dir, 'state.json');
    expect(await bpfilter(['restore', '--state', state], { input: RULES })).toMatchObject({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect((await stat(state)).mode & 0o777).toBe(0o600);
    expect(await bpfilter(['save', '--state', state])).toMatchObject({ code: 0, stdout: RULES });

    const web = [
      'classify',
      '--state',
      state,
      '--table',
      'filter',
      '--hook',
      'INPUT',
      '--src',
      '198.51.100.1',
      '--dst',
      '192.0.2.1',
      '--proto',
      'tcp',
      '--sport',
      '40000',
      '--dport',
      '8080',
      '--in',
      'eth0',
      '--tcp-flags',
      'SYN',
      '--length',
      '60',
    ];
    expect(await bpfilter(web)).toMatchObject({
      code: 0,
      stdout:
        'verdict: ACCEPT\ndecided by: filter web rule 1\ncounter: INPUT rule 2 now 1 packets, 60 bytes\ncounter: web rule 1 now 1 packets, 60 bytes\n',
    });
    const json = await bpfilter([...web, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      verdict: 'ACCEPT',
      rule: { chain: 'web', rule: 1 },
      counters: [
        { chain: 'INPUT', rule: 2, packets: 2, bytes: 120 },
        { chain: 'web', rule: 1, packets: 2 },
      ],
    });

    const ping = await bpfilter([
      'classify',
      '--state',
      state,
      '--hook',
      'OUTPUT',
      '--src',
      '192.0.2.1',
      '--dst',
      '198.51.100.1',
      '--proto',
      'icmp',
      '--icmp-type',
      'echo-request',
      '--out',
      'eth0',
    ]);
    expect(ping.stdout).toBe(
      'verdict: ACCEPT\ndecided by: filter OUTPUT policy\nLOG: OUTPUT rule 1 level 4 prefix "ping "\ncounter: OUTPUT rule 1 now 1 packets, 28 bytes\ncounter: OUTPUT policy now 1 packets, 28 bytes\n',
    );

    const list = await bpfilter(['list', '--state', state]);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(
      'chain INPUT (policy ACCEPT 0 packets, 0 bytes)\n    1  [0:0]  -i lo -j ACCEPT\n    2  [2:120]  -i eth0 -j web\n',
    );
    expect(list.stdout).toContain(
      'chain web (user chain)\n    1  [2:120]  -p tcp -m tcp --dport 8080 -j ACCEPT\n    2  [0:0]  -j RETURN\n',
    );
    expect((await bpfilter(['save', '-c', '--state', state])).stdout).toContain(
      '[2:120] -A web -p tcp -m tcp --dport 8080 -j ACCEPT\n',
    );
    expect(
      JSON.parse((await bpfilter(['list', '--json', '-t', 'filter', '--state', state])).stdout),
    ).toMatchObject({
      name: 'filter',
      chains: [{ name: 'INPUT', policy: 'ACCEPT' }, {}, {}, { name: 'web' }],
    });
  });

  it('without --socket or --state each command starts from empty tables', async () => {
    expect(await bpfilter(['restore'], { input: RULES })).toMatchObject({ code: 0 });
    expect(await bpfilter(['save', '-t', 'filter'])).toMatchObject({
      code: 0,
      stdout: '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n',
    });
    expect(await bpfilter(['save'])).toMatchObject({ code: 0, stdout: '' });
  });

  it('explains bad input and exits 2; a refusal by bpfilter exits 1', async () => {
    const state = join(dir, 'bad.json');
    const bad = await bpfilter(['restore', '--state', state], {
      input: '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999 -j ACCEPT\nCOMMIT\n',
    });
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('line 3: invalid port "99999"'),
    });
    expect(await bpfilter(['classify', '--hook', 'INPUT', '--dst', '1.2.3.4'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--src and --dst are required'),
    });
    expect(await bpfilter(['classify', '--src', '1.2.3.4', '--dst', '1.2.3.4'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--hook is required'),
    });
    expect(await bpfilter(['list', '--bogus'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown option --bogus'),
    });
    expect(await bpfilter(['list', '--socket', '/x', '--state', state])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('exclude each other'),
    });
    expect(await bpfilter(['list', '-t', 'broute'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('ENOENT'),
    });
  });

  it('says which file it cannot read or write, without a stack trace', async () => {
    const missing = join(dir, 'no-such-dir', 'x');
    const unread = await bpfilter(['restore', '--file', missing]);
    expect(unread).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(`cannot read ${missing}`),
    });
    const unwritten = await bpfilter(['restore', '--state', missing], { input: RULES });
    expect(unwritten).toMatchObject({
      code: 2, // a state file that cannot be written is a bad --state, as one that cannot be read
      stderr: expect.stringContaining(`cannot write state file ${missing}`),
    });
    for (const { stderr } of [unread, unwritten]) expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('bpfilter CLI against a running service (--socket / BPFILTER_SOCKET)', () => {
  let service: BpfilterService;
  beforeAll(async () => {
    service = await serve({ socketPath: join(dir, 'bpfilter.sock') });
  });
  afterAll(async () => {
    const pid = (service.backend as SockoptBackend).sockopt.manager.pid;
    await service.close();
    if (pid !== undefined) expect(isAlive(pid)).toBe(false);
  });

  it('shares one set of tables between invocations, and they survive a killed handler', async () => {
    const socket = service.socketPath;
    expect(await bpfilter(['restore', '--socket', socket], { input: RULES })).toMatchObject({
      code: 0,
      stderr: '',
    });
    expect(await bpfilter(['save'], { env: { BPFILTER_SOCKET: socket } })).toMatchObject({
      code: 0,
      stdout: RULES,
    });
    const ssh = [
      'classify',
      '--socket',
      socket,
      '--hook',
      'FORWARD',
      '--src',
      '10.0.0.1',
      '--dst',
      '10.0.0.2',
      '--proto',
      'udp',
      '--sport',
      '1000',
      '--dport',
      '53',
    ];
    expect((await bpfilter(ssh)).stdout).toMatch(
      /^verdict: REJECT \(--reject-with icmp-port-unreachable\)\ndecided by: filter FORWARD rule 1\n/,
    );
    await killHandler((service.backend as SockoptBackend).sockopt.manager);
    expect(await bpfilter(['save', '--socket', socket])).toMatchObject({ code: 0, stdout: RULES });
    expect((await bpfilter(['save', '-c', '--socket', socket])).stdout).toContain(
      '[1:28] -A FORWARD -p udp -m udp ! --sport 53 -j REJECT',
    );
  });
});
