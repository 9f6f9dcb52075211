import { describe, expect, it } from 'vitest';
import { handlerKinds } from '../handlers.js';
import { parseArgs, UsageError } from './args.js';

describe('parseArgs', () => {
  it('reads offsets and the handler, in any order', () => {
    expect(parseArgs(['1', '--handler', 'ts', '2'])).toEqual({
      kind: 'check',
      handler: 'ts',
      offsets: ['1', '2'],
      verbose: false,
    });
    expect(parseArgs(['--handler=ts', '--verbose'])).toEqual({
      kind: 'check',
      handler: 'ts',
      offsets: [],
      verbose: true,
    });
    expect(parseArgs([])).toEqual({ kind: 'check', handler: 'ts', offsets: [], verbose: false });
    // #region sample-only
    expect(parseArgs(['--handler', 'c'])).toMatchObject({ kind: 'check', handler: 'c' });
    // #endregion
  });

  it('keeps negative numbers and anything after -- as offsets, to be refused with their own message', () => {
    expect(parseArgs(['-1', '--', '--handler'])).toMatchObject({ offsets: ['-1', '--handler'] });
  });

  it('reads selftest options', () => {
    expect(parseArgs(['selftest'])).toEqual({
      kind: 'selftest',
      handlers: handlerKinds,
      requests: 500,
      seed: undefined,
    });
    expect(parseArgs(['selftest', '--handler', 'ts', '--requests=20', '--seed', '42'])).toEqual({
      kind: 'selftest',
      handlers: ['ts'],
      requests: 20,
      seed: 42,
    });
  });
  // #region sample-only

  it('reads the generator command', () => {
    expect(parseArgs(['new', 'my-driver', 'out', '--force'])).toEqual({
      kind: 'new',
      name: 'my-driver',
      dir: 'out',
      workspace: false,
      force: true,
      fromTarballs: undefined,
      minimal: false,
    });
    expect(parseArgs(['new', '--workspace', 'x'])).toMatchObject({
      kind: 'new',
      name: 'x',
      workspace: true,
      dir: undefined,
    });
  });
  // #endregion

  it.each([
    [['--handler', 'rust'], /--handler must be ts/],
    [['--handler'], /needs a value/],
    [['--requests='], /positive integer/],
    [['--verbose=1'], /--verbose takes no value/],
    [['--bogus'], /unknown option --bogus/],
    [['selftest', 'x'], /no arguments/],
    [['selftest', '--requests', '0'], /positive integer/],
    [['1', '--requests', '5'], /go with selftest/],
    [['--seed', '5'], /go with selftest/],
    // #region sample-only
    [['new'], /needs a name/],
    [['new', 'a', 'b', 'c'], /got also c/],
    [['1', '--force'], /go with new/],
    [['1', '--from-tarballs', 'dir'], /--from-tarballs go with new/],
    [['1', '--minimal'], /--minimal go with new/],
    [['new', 'x', '--from-tarballs'], /--from-tarballs needs a value/],
    // #endregion
  ])('refuses %j', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('leaves --help and --version to runCli, wherever they stand', () => {
    expect(() => parseArgs(['1', '--help'])).toThrow(expect.objectContaining({ ask: 'help' }));
    expect(() => parseArgs(['selftest', '--version'])).toThrow(
      expect.objectContaining({ ask: 'version' }),
    );
  });
});
