import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { handlerKinds } from '@umd/sample-umd';
import { runCli, unavailableHandlers } from './helpers.js';

describe('command line', () => {
  it('answers help, --help, -h (also after a command) and --version on stdout, status 0', async () => {
    for (const args of [['help'], ['--help'], ['-h'], ['selftest', '--help'], ['1', '-h']]) {
      const { status, stdout, stderr } = await runCli(args);
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
      expect(stdout).toMatch(/^Usage:\n/);
    }
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    expect(await runCli(['--version'])).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' });
  });

  it.each([
    [['--handler', 'rust', '1'], '--handler must be'],
    [['--bogus', '1'], 'unknown option --bogus'],
    [['--handler'], '--handler needs a value'],
    [['selftest', '--requests', 'x'], '--requests must be a positive integer'],
  ])(
    'refuses %j on stderr with status 2, naming the flag, sending nothing',
    async (args, fault) => {
      const { status, stdout, stderr } = await runCli(args);
      expect({ status, stdout }).toEqual({ status: 2, stdout: '' });
      expect(stderr.split('\n')[0]).toMatch(/^sample-umd: /);
      expect(stderr.split('\n')[0]).toContain(fault);
      expect(stderr).toMatch(/\nUsage:\n/);
    },
  );

  it('checks each offset given as an argument, one result a line', async () => {
    const { status, stdout } = await runCli(['0', '4096', '0x1ffff']);
    expect(stdout).toBe('ok 0\nok 4096\nok 131071\n');
    expect(status).toBe(0);
  });

  it('reads offsets from stdin, one a line, skipping blank lines', async () => {
    const { status, stdout } = await runCli([], '1024\n\n  2048  \r\n130048');
    expect(stdout).toBe('ok 1024\nok 2048\nok 130048\n');
    expect(status).toBe(0);
  });

  it('refuses bad input with a message and status 2, still checking the good lines', async () => {
    const { status, stdout } = await runCli([], 'abc\n-1\n131072\n12.5\n8\n');
    expect(stdout.split('\n')).toEqual([
      'invalid line 1: "abc" is not a number',
      'invalid line 2: "-1" is negative: offsets start at 0',
      'invalid line 3: "131072" is too large: offsets go from 0 to 131071 (EINVAL)',
      'invalid line 4: "12.5" is not a number',
      'ok 8',
      '',
    ]);
    expect(status).toBe(2);
  });

  it('never starts a handler for input that holds no valid offset', async () => {
    const { status, stdout, stderr } = await runCli([
      '--verbose',
      '--',
      '-5',
      '1e9',
      'x'.repeat(40),
    ]);
    expect(stdout).toMatch(
      /^invalid argument 1: .*\ninvalid argument 2: .*\ninvalid argument 3: .*too long/,
    );
    expect(stderr).not.toMatch(/event: (load|start)/);
    expect(status).toBe(2);
  });

  it('reports an over-long stdin line without buffering it, then goes on', async () => {
    const { status, stdout } = await runCli([], `${'7'.repeat(200_000)}\n16\n`);
    expect(stdout).toBe('invalid line 1: line of 200000 bytes is too long for an offset\nok 16\n');
    expect(status).toBe(2);
  });

  it('shows the manager events with --verbose', async () => {
    const { status, stderr } = await runCli(['--verbose', '512']);
    expect(stderr).toMatch(/event: load\nevent: start pid \d+/);
    expect(status).toBe(0);
  });

  it('runs the selftest as a script, to the end, for every handler', async () => {
    const available = handlerKinds.filter((kind) => unavailableHandlers[kind] === undefined);
    const only =
      available.length < handlerKinds.length ? ['--handler', available[0] as string] : [];
    const { status, stdout } = await runCli([
      'selftest',
      '--requests',
      '60',
      '--seed',
      '7',
      ...only,
    ]);
    for (const kind of available) expect(stdout).toMatch(new RegExp(`PASS ${kind}: 2 loads`));
    expect(stdout).toMatch(/seed 7/);
    expect(status).toBe(0);
  });

  it('answers a bad command line with the usage and status 2', async () => {
    const { status, stderr } = await runCli(['--handler', 'cobol', '1']);
    expect(stderr).toMatch(/--handler must be/);
    expect(stderr).toMatch(/Usage:/);
    expect(status).toBe(2);
  });
});
