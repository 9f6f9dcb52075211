import { describe, expect, it } from 'vitest';
import { BpfilterSockopt, type BpfilterState } from './bpfilter-sockopt.js';

const never = async (): Promise<never> => {
  throw new Error('the loader must not be imported');
};

describe('BpfilterSockopt state', () => {
  it('refuses a state that is not a version-1 state or whose tables do not decode, before anything runs', () => {
    expect(
      () =>
        new BpfilterSockopt({ loader: never, state: { version: 2 } as unknown as BpfilterState }),
    ).toThrow(expect.objectContaining({ code: 'UMD_INVALID_ARGUMENT' }));
    const info =
      '66696c74657200000000000000000000000000000000000000000000000000000e000000ffffffff000000009800000030010000ffffffffffffffff000000009800000030010000ffffffff0400000078020000';
    const state = (entries: string, name = 'filter'): BpfilterState => ({
      version: 1,
      tablesInUse: ['filter'],
      tables: [{ name, info, entries }],
    });
    expect(() => new BpfilterSockopt({ loader: never, state: state('00'.repeat(632)) })).toThrow(
      /state of table "filter" is not valid/,
    );
    expect(() => new BpfilterSockopt({ loader: never, state: state('00'.repeat(10)) })).toThrow(
      /does not match/,
    );
    expect(
      () =>
        new BpfilterSockopt({
          loader: never,
          state: {
            version: 1,
            tablesInUse: [],
            tables: [{ name: 'filter', info: 'zz', entries: '' }],
          },
        }),
    ).toThrow(/not valid/);
  });

  it('exports an empty state before any change', () => {
    expect(new BpfilterSockopt({ loader: never }).exportState()).toEqual({
      version: 1,
      tablesInUse: [],
      tables: [],
    });
  });
});
