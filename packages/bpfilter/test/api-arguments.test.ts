/**
 * The TypeScript API given what a caller should not pass: every such call rejects with an
 * `UMD_INVALID_ARGUMENT` that says what was wrong, never a TypeError or RangeError from
 * deep inside, and never a request for another table than the one named.
 */
import { Bpfilter } from '@umd/bpfilter';
import { isUmdError, UmdErrorCode } from '@umd/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSave } from '../src/text/index.js';

const bpfilter = new Bpfilter();
afterAll(() => bpfilter.stop());

async function invalid(call: () => Promise<unknown>): Promise<string> {
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(isUmdError(error, UmdErrorCode.INVALID_ARGUMENT), String(error)).toBe(true);
  return (error as Error).message;
}

describe('Bpfilter: bad arguments are UMD_INVALID_ARGUMENT', () => {
  it('a table name with a NUL, of another type, empty or too long', async () => {
    for (const name of ['filter\0x', 5, '', 'x'.repeat(32), undefined])
      expect(await invalid(() => bpfilter.listTable(name as string))).toContain('table name');
  });

  it('a table that is not an object', async () => {
    for (const table of [null, 'filter', 42])
      await invalid(() => bpfilter.replaceTable('filter', table as never));
  });

  it('restore text that is not a string', async () => {
    for (const text of [null, Buffer.from('*filter\nCOMMIT\n'), 7])
      expect(await invalid(() => bpfilter.restore(text as unknown as string))).toContain('string');
  });
});

describe('parseSave: counters as iptables-restore reads them', () => {
  it('saturates a count beyond 64 bits at 2^64-1, as strtoull does, instead of wrapping', () => {
    const [table] = parseSave(
      '*filter\n:INPUT ACCEPT [0:0]\n[99999999999999999999999:1] -A INPUT -j DROP\nCOMMIT\n',
    );
    expect(table!.chains[0]!.rules[0]!.counters).toEqual({ packets: 2n ** 64n - 1n, bytes: 1n });
  });
});
