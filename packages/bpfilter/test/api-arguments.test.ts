/**
 * The TypeScript API given what a caller should not pass: every such call rejects with an
 * `UMD_INVALID_ARGUMENT` that says what was wrong, never a TypeError or RangeError from
 * deep inside, and never a request for another table than the one named.
 */
import { Bpfilter } from '@umd/bpfilter';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSave } from '../src/text/index.js';

const bpfilter = new Bpfilter();
afterAll(() => bpfilter.stop());

/** Rejects with UMD_INVALID_ARGUMENT (a UmdError, not a TypeError) whose message has `words`. */
const invalid = (call: () => Promise<unknown>, words = '') =>
  expect(call()).rejects.toMatchObject({
    name: 'UmdError',
    code: 'UMD_INVALID_ARGUMENT',
    message: expect.stringContaining(words),
  });

describe('Bpfilter: bad arguments are UMD_INVALID_ARGUMENT', () => {
  it('a table name with a NUL, of another type, empty or too long', async () => {
    for (const name of ['filter\0x', 5, '', 'x'.repeat(32), undefined])
      await invalid(() => bpfilter.listTable(name as string), 'table name');
  });

  it('a table that is not an object', async () => {
    for (const table of [null, 'filter', 42])
      await invalid(() => bpfilter.replaceTable('filter', table as never));
  });

  it('restore text that is not a string', async () => {
    for (const text of [null, Buffer.from('*filter\nCOMMIT\n'), 7])
      await invalid(() => bpfilter.restore(text as unknown as string), 'string');
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
