import { describe, expect, it } from 'vitest';
import { stderrCause } from './stderr-cause.js';

// As Node 20 prints them (the tail of a handler that died before HELLO).
const ESM_NOT_FOUND = [
  'node:internal/modules/esm/resolve:873',
  '  throw new ERR_MODULE_NOT_FOUND(packageName, fileURLToPath(base), null);',
  '        ^',
  '',
  "Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@umd/core' imported from /tmp/x/h.mjs",
  '    at packageResolve (node:internal/modules/esm/resolve:873:9)',
  '}',
  'Node.js v20.20.2',
];

describe('stderrCause', () => {
  it('names an unresolved import and says to bundle it', () => {
    expect(stderrCause(ESM_NOT_FOUND)).toBe(
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package '@umd/core' imported from /tmp/x/h.mjs (a blob runs alone from a private copy: bundle the handler and everything it imports into one file with buildBlob (or umd-blob) of @umd/build)",
    );
    expect(stderrCause(['  ^', '', "Error: Cannot find module 'nope'", 'Require stack:'])).toMatch(
      /^Error: Cannot find module 'nope' \(a blob runs alone.*buildBlob/,
    );
  });

  it('takes the first error line of any kind, bounded, without a hint it does not have', () => {
    expect(stderrCause(['file:///x.cjs:1', 'TypeError: x is not a function', '    at y'])).toBe(
      'TypeError: x is not a function',
    );
    const long = `Error: ${'a'.repeat(1000)}`;
    expect(stderrCause([long])).toHaveLength(303);
    expect(
      stderrCause(['Error [ERR_ACCESS_DENIED]: Access to this API has been restricted']),
    ).toMatch(/permission model/);
  });

  it("passes no control character of a hostile handler's stderr into the message", () => {
    expect(stderrCause(['Error: \u001b[2J\u001b]0;owned\u0007 cleared\r\u009b'])).toBe(
      'Error: ?[2J?]0;owned? cleared??',
    );
  });

  it('says nothing where the handler wrote no Node error (its own words stay in stderrTail)', () => {
    expect(stderrCause([])).toBeUndefined();
    expect(stderrCause(['fixture: failing before HELLO'])).toBeUndefined();
    expect(stderrCause(['    at Error: in a stack frame', 'myError: lower case'])).toBeUndefined();
  });
});
