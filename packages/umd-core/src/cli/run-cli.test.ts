import { describe, expect, it } from 'vitest';
import { isUmdError, UmdError, UmdErrorCode } from '../errors/umd-error.js';
import { optionValue, parseCommandLine } from './parse-command-line.js';
import { type CliProgram, runCli } from './run-cli.js';
import { UsageError } from './usage-error.js';

const OPTIONS = { port: { type: 'string' }, verbose: { type: 'boolean', short: 'v' } } as const;

function program(run: CliProgram['run']): CliProgram {
  return { name: 'demo', version: '1.2.3', usage: 'usage: demo [--port N] [-v] FILE...', run };
}

async function capture(p: CliProgram, args: string[]) {
  let stdout = '';
  let stderr = '';
  const status = await runCli(p, args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { status, stdout, stderr };
}

const parsing = program(async (args) => {
  const { values, positionals } = parseCommandLine(args, OPTIONS);
  if (positionals.length === 0) throw new UsageError('no FILE given');
  const port = values.port === undefined ? 0 : optionValue('--port', values.port, portNumber);
  return port + positionals.length + (values.verbose ? 100 : 0);
});

function portNumber(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535)
    throw new RangeError(`"${text}" is not a port`);
  return Number(text);
}

describe('runCli', () => {
  it('answers --help, -h, help and --version on stdout with status 0, also after a command', async () => {
    for (const args of [['--help'], ['-h'], ['help'], ['a', '--help'], ['-v', '-h']])
      expect(await capture(parsing, args)).toEqual({
        status: 0,
        stdout: 'usage: demo [--port N] [-v] FILE...\n',
        stderr: '',
      });
    for (const args of [['--version'], ['a', '--version']])
      expect(await capture(parsing, args)).toEqual({ status: 0, stdout: '1.2.3\n', stderr: '' });
  });

  it('runs the command with typed values', async () => {
    expect(await capture(parsing, ['a', 'b', '--port=7', '-v'])).toMatchObject({ status: 109 });
  });

  it.each([
    [['a', '--bogus'], /^demo: unknown option --bogus\n/],
    [['a', '-x'], /^demo: unknown option -x\n/],
    [['a', '--port'], /^demo: --port needs a value\n/],
    [['a', '--port', '70000'], /--port: "70000" is not a port/],
    [['a', '--verbose=yes'], /^demo: --verbose takes no value\n/],
    [[], /no FILE given/],
  ])(
    'refuses %j on stderr with status 2, naming the flag, then the usage',
    async (args, message) => {
      const { status, stdout, stderr } = await capture(parsing, args);
      expect(status).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
      expect(stderr).toMatch(/^demo: .*\nusage: demo/);
    },
  );

  it('reports a UmdError with its code and any other error with its stack, status 1', async () => {
    const umd = program(async () => {
      throw new UmdError(UmdErrorCode.TIMEOUT, 'too slow');
    });
    expect(await capture(umd, [])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'demo: UMD_TIMEOUT: too slow\n',
    });
    const plain = program(async () => {
      throw new TypeError('boom');
    });
    expect((await capture(plain, [])).stderr).toMatch(/^demo: TypeError: boom\n {4}at /);
  });

  it('exits 2 without the usage for a UMD_INVALID_ARGUMENT found past the command line', async () => {
    const badInput = program(async () => {
      throw new UmdError(UmdErrorCode.INVALID_ARGUMENT, 'rules, line 3: invalid port');
    });
    expect(await capture(badInput, [])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'demo: UMD_INVALID_ARGUMENT: rules, line 3: invalid port\n',
    });
  });

  it('makes UsageError a UmdError with UMD_INVALID_ARGUMENT', () => {
    expect(isUmdError(new UsageError('x'), UmdErrorCode.INVALID_ARGUMENT)).toBe(true);
  });
});

describe('parseCommandLine', () => {
  it('refuses a positional argument where none is allowed, naming it', () => {
    expect(() => parseCommandLine(['stray'], OPTIONS, { allowPositionals: false })).toThrow(
      'unexpected argument "stray"',
    );
  });
  it('keeps what follows -- as positionals', () => {
    expect(parseCommandLine(['--', '--port', '-v'], OPTIONS)).toEqual({
      values: {},
      positionals: ['--port', '-v'],
    });
  });
});
