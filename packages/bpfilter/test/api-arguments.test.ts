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

// Found by trying the API as an attacker would: these options went through unchecked.
describe('Bpfilter: call options are checked once, typed', () => {
  const TEXT = '*filter\n:INPUT ACCEPT [5:500]\n[7:70] -A INPUT -j ACCEPT\nCOMMIT\n';
  const throwing = Object.defineProperty({}, 'signal', {
    enumerable: true,
    get() {
      throw new Error('a getter of the caller');
    },
  });

  it('a signal that is no AbortSignal, and a getter that throws, on every call', async () => {
    // Were a bare TypeError ("signal.addEventListener is not a function") and the getter's own Error.
    for (const options of [{ signal: 5 }, { signal: 'x' }, throwing] as never[]) {
      await invalid(() => bpfilter.tableNames(options));
      await invalid(() => bpfilter.listTable('filter', options));
      await invalid(() => bpfilter.classify('filter', 'INPUT', {} as never, options));
      await invalid(() => bpfilter.save(options));
      await invalid(() => bpfilter.sockopt!.tableNames(options));
      await invalid(() => bpfilter.sockopt!.getsockopt(64, new Uint8Array(84), options));
    }
  });

  it('options that are no options bag', async () => {
    for (const options of [[], 7, 'counters'] as never[]) {
      await invalid(() => bpfilter.classify('filter', 'INPUT', {} as never, options), 'options');
      await invalid(() => bpfilter.restore(TEXT, options), 'options');
    }
  });

  it("a string for a boolean: counters 'false' neither loads nor prints counters", async () => {
    // Were taken as true: restore loaded [7:70], save printed it.
    await invalid(() => bpfilter.restore(TEXT, { counters: 'false' as never }), 'counters');
    await invalid(() => bpfilter.save({ counters: 'false' as never }), 'counters');
    await invalid(
      () =>
        bpfilter.replaceTable(
          'filter',
          { name: 'filter', chains: [] },
          {
            counters: 0 as never,
          },
        ),
      'counters',
    );
  });

  it('tables that are no array of names: a string is not its letters', async () => {
    // Was GET_INFO of table "f": UMD_HANDLER_ERROR ENOENT.
    for (const tables of ['filter', [5], new Set(['filter'])] as never[])
      await invalid(() => bpfilter.save({ tables }), 'tables');
  });

  it('a packet whose getter throws, or that JSON cannot hold', async () => {
    const packet = Object.defineProperty({}, 'source', {
      enumerable: true,
      get() {
        throw new Error('a getter of the caller');
      },
    });
    await invalid(() => bpfilter.classify('filter', 'INPUT', packet as never), 'packet');
    await invalid(() => bpfilter.classify('filter', 'INPUT', { time: 1n } as never), 'packet');
  });

  it('sockopt pid and addr of the wrong type or out of range', async () => {
    for (const options of [{ pid: -1 }, { pid: 1.5 }, { pid: 2 ** 32 }, { addr: 5 }, { addr: -1n }])
      await invalid(() => bpfilter.sockopt!.getsockopt(64, new Uint8Array(84), options as never));
  });

  it('a timeout signal that fires while a call waits for its turn is UMD_TIMEOUT', async () => {
    // Was UMD_ABORTED: every other call reports a TimeoutError reason as UMD_TIMEOUT.
    const first = bpfilter.tableNames();
    const waiting = bpfilter.tableNames({
      signal: AbortSignal.abort(new DOMException('t', 'TimeoutError')),
    });
    await expect(waiting).rejects.toMatchObject({ code: 'UMD_TIMEOUT' });
    await first;
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
