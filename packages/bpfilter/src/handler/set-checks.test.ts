import { describe, expect, it } from 'vitest';
import { Errno } from '../abi/index.js';
import { encodeTable, type Match, type Target } from '../model/index.js';
import { hostEnvironment } from './check-environment.js';
import { translateTable } from './translate.js';

/** An `xt_set_info` (revisions 1+): index, dimensions, flags. */
const info = (index: number, dim = 1) => [index & 0xff, index >> 8, dim, 0];

/** `-m set` revision 4 (xt_set_info_match_v4, 48 bytes) of set `index`. */
const setMatch = (index: number, dim = 1): Match => {
  const data = new Uint8Array(48);
  data.set(info(index, dim));
  return { kind: 'raw', name: 'set', revision: 4, data };
};

/** `-j SET` revision 3 (xt_set_info_target_v3, 20 bytes): add, del, map sets. */
const setTarget = (add: number, del = 0xffff, map = 0xffff): Target => {
  const data = new Uint8Array(20);
  data.set([...info(add), ...info(del), ...info(map)]);
  return { kind: 'raw', name: 'SET', revision: 3, data };
};

function check(rule: { matches?: Match[]; target: Target }, kernelSets: boolean) {
  const encoded = encodeTable({
    name: 'filter',
    chains: [
      { name: 'INPUT', policy: 'ACCEPT', rules: [rule] },
      { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
    ],
  });
  const result = translateTable({ ...encoded, env: hostEnvironment([], kernelSets) });
  return result.ok ? 0 : -result.errno;
}

const drop: Target = { kind: 'verdict', verdict: 'DROP' };

describe('-m set and -j SET checks', () => {
  it('refuse every set without the kernel sets (bpfilter not enforcing)', () => {
    expect(check({ matches: [setMatch(0)], target: drop }, false)).toBe(-Errno.ENOENT);
    expect(check({ target: setTarget(3) }, false)).toBe(-Errno.ENOENT);
    // A SET that names no set at all passes, as in the kernel.
    expect(check({ target: setTarget(0xffff) }, false)).toBe(0);
  });

  it('take the indexes of the kernel sets (enforcing): the kernel checks them at install', () => {
    expect(check({ matches: [setMatch(0)], target: drop }, true)).toBe(0);
    expect(check({ matches: [setMatch(65534)], target: drop }, true)).toBe(0);
    expect(check({ target: setTarget(3, 7) }, true)).toBe(0);
    // IPSET_INVALID_ID names no set: a match needs one.
    expect(check({ matches: [setMatch(0xffff)], target: drop }, true)).toBe(-Errno.ENOENT);
  });

  it('refuse more than IPSET_DIM_MAX dimensions (ERANGE), as xt_set does', () => {
    expect(check({ matches: [setMatch(1, 7)], target: drop }, true)).toBe(-Errno.ERANGE);
    expect(check({ matches: [setMatch(1, 6)], target: drop }, true)).toBe(0);
  });
});
