import { describe, expect, it } from 'vitest';
import { Errno } from '../abi/index.js';
import { revisionStatus } from './extensions.js';

// Values measured with GET_REVISION_MATCH/TARGET on Linux 6.18 in a network namespace.
describe('revisionStatus', () => {
  it('answers 0 for a revision the kernel registers', () => {
    expect(revisionStatus('match', 'tcp', 0)).toBe(0);
    expect(revisionStatus('match', 'conntrack', 3)).toBe(0);
    expect(revisionStatus('match', 'multiport', 1)).toBe(0);
    expect(revisionStatus('target', '', 0)).toBe(0);
    expect(revisionStatus('target', 'MARK', 2)).toBe(0);
    expect(revisionStatus('target', 'REJECT', 0)).toBe(0);
  });
  it('answers -EPROTONOSUPPORT for a revision it does not have', () => {
    expect(revisionStatus('match', 'conntrack', 0)).toBe(-Errno.EPROTONOSUPPORT);
    expect(revisionStatus('match', 'tcp', 1)).toBe(-Errno.EPROTONOSUPPORT);
    expect(revisionStatus('target', 'MARK', 0)).toBe(-Errno.EPROTONOSUPPORT);
  });
  it('answers -ENOENT for an unknown name, and for verdict names (they are not targets)', () => {
    expect(revisionStatus('match', 'nosuchmatch', 0)).toBe(-Errno.ENOENT);
    expect(revisionStatus('target', 'ACCEPT', 0)).toBe(-Errno.ENOENT);
    expect(revisionStatus('target', 'tcp', 0)).toBe(-Errno.ENOENT);
  });
});
