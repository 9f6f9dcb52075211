import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IPT_ENTRY_SIZE, IptEntryOffset, readU16 } from '../abi/index.js';
import { encodeReplaceRequest } from '../model/encode.js';
import { parseSave } from '../text/parse-save.js';
import type { TableEntries } from './compile-table.js';
import { compileEarly, sameRules, sameTable, tableOfReplace } from './early-compile.js';

const TEXT =
  '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n' +
  '-A INPUT -s 10.0.0.1/32 -p tcp -m tcp --dport 80 -j web\n-A INPUT -i eth0 -j DROP\n' +
  '-A web -p udp -m udp --sport 53 -j ACCEPT\nCOMMIT\n';

function request(text = TEXT): Uint8Array {
  const [table] = parseSave(text);
  return encodeReplaceRequest({ name: 'filter', chains: table!.chains }, 4);
}

/** Start offsets of the entries of a blob. */
function offsets(entries: Uint8Array): number[] {
  const out: number[] = [];
  for (let at = 0; at < entries.length; at += readU16(entries, at + IptEntryOffset.nextOffset))
    out.push(at);
  return out;
}

/** `table` with what the handler fills in (comefrom, counters) set to other values. */
function asHandlerKeepsIt(table: TableEntries): TableEntries {
  const entries = table.entries.slice();
  for (const at of offsets(entries))
    entries.fill(0xa5, at + IptEntryOffset.comefrom, at + IPT_ENTRY_SIZE);
  return { ...table, entries };
}

describe('early compile: the table of a SET_REPLACE, matched against the table kept', () => {
  it('reads the table of a request, and nothing from one that holds none', () => {
    const table = tableOfReplace(request());
    expect(table?.name).toBe('filter');
    expect(table?.layout.validHooks).toBe(0b1110);
    expect(tableOfReplace(request().subarray(0, 95))).toBeUndefined();
    // Header and entries disagree on the size.
    expect(tableOfReplace(request().subarray(0, 200))).toBeUndefined();
  });

  it('reads a request with bytes past its entries as the table of its first size bytes', () => {
    const bytes = request();
    const padded = new Uint8Array(bytes.length + 40).fill(0x5a);
    padded.set(bytes);
    const exact = tableOfReplace(bytes)!;
    const table = tableOfReplace(padded);
    // The handler keeps the same table (it ignores what follows), so the early compile is used.
    expect(table?.entries).toEqual(exact.entries);
    expect(sameTable(table!, asHandlerKeepsIt(exact))).toBe(true);
  });

  it('is the same table when only comefrom and counters differ', () => {
    const table = tableOfReplace(request())!;
    expect(sameTable(table, asHandlerKeepsIt(table))).toBe(true);
  });

  it('is another table when any other byte, a hook or the name differs', () => {
    const table = tableOfReplace(request())!;
    const owned = new Set<number>();
    for (const at of offsets(table.entries))
      for (let i = at + IptEntryOffset.comefrom; i < at + IPT_ENTRY_SIZE; i++) owned.add(i);
    fc.assert(
      fc.property(fc.nat(table.entries.length - 1), fc.integer({ min: 1, max: 255 }), (i, x) => {
        fc.pre(!owned.has(i));
        const entries = table.entries.slice();
        entries[i] = entries[i]! ^ x;
        expect(sameTable(table, { ...table, entries })).toBe(false);
      }),
    );
    const hooks = [...table.layout.hookEntry] as typeof table.layout.hookEntry;
    hooks[1] += 1;
    const moved = { ...table, layout: { ...table.layout, hookEntry: hooks } };
    expect(sameTable(table, moved)).toBe(false);
    expect(sameTable(table, { ...table, name: 'mangle' })).toBe(false);
    expect(sameRules(table.entries, table.entries.subarray(1))).toBe(false);
  });

  it('stops at an entry whose next_offset is not an entry, whatever follows', () => {
    const table = tableOfReplace(request())!;
    const entries = table.entries.slice();
    entries[IptEntryOffset.nextOffset] = 0;
    entries[IptEntryOffset.nextOffset + 1] = 0;
    expect(sameRules(entries, entries)).toBe(false);
  });

  it('compiles a copy of the request, and a failed compile is no result', async () => {
    const bytes = request();
    const seen: TableEntries[] = [];
    const early = compileEarly(bytes, async (table) => {
      seen.push(table);
      throw new Error('refused');
    });
    bytes.fill(0);
    expect(await early?.compiled).toBeUndefined();
    expect(seen[0]?.entries).toEqual(tableOfReplace(request())!.entries);
    expect(compileEarly(bytes.subarray(0, 10), () => Promise.reject(new Error()))).toBeUndefined();
  });
});
