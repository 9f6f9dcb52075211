import { describe, expect, it } from 'vitest';
import { Errno, IPT_F_GOTO, IptEntryOffset, viewOf } from '../abi/index.js';
import { encodeTable, type Table } from '../model/index.js';
import { initialTable } from './builtin-tables.js';
import { translateTable } from './translate.js';

const filter = (extra: Partial<Table> = {}): Table => ({
  name: 'filter',
  chains: [
    { name: 'INPUT', policy: 'ACCEPT', rules: [{ target: { kind: 'jump', chain: 'a' } }] },
    { name: 'FORWARD', policy: 'DROP', rules: [] },
    { name: 'OUTPUT', policy: 'ACCEPT', rules: [{ target: { kind: 'jump', chain: 'a' } }] },
    { name: 'a', rules: [{ protocol: 6, target: { kind: 'verdict', verdict: 'ACCEPT' } }] },
    { name: 'unused', rules: [] },
  ],
  ...extra,
});

function translate(table: Table, edit?: (entries: Uint8Array, view: DataView) => void) {
  const encoded = encodeTable(table);
  edit?.(encoded.entries, viewOf(encoded.entries));
  return translateTable({ ...encoded, entries: encoded.entries });
}

describe('translateTable', () => {
  it('builds the initial tables a kernel creates', () => {
    expect(initialTable('filter')).toMatchObject({
      validHooks: 0x0e,
      numEntries: 4,
      size: 632,
      hookEntry: [0xffffffff, 0, 152, 304, 0xffffffff],
    });
    expect(initialTable('mangle')).toMatchObject({
      validHooks: 0x1f,
      numEntries: 6,
      size: 936,
      underflow: [0, 152, 304, 456, 608],
    });
    expect(initialTable('raw')).toMatchObject({
      validHooks: 0x09,
      numEntries: 3,
      size: 480,
      hookEntry: [0, 0xffffffff, 0xffffffff, 152, 0xffffffff],
    });
  });

  it('records in comefrom which hooks reach each entry, as mark_source_chains does', () => {
    const result = translate(filter());
    if (!result.ok) throw new Error(result.message);
    const { entries, offsets } = result.table;
    const comefrom = offsets.map((o) =>
      viewOf(entries).getUint32(o + IptEntryOffset.comefrom, true),
    );
    // INPUT jump, INPUT policy, FORWARD policy, OUTPUT jump, OUTPUT policy, a head, a rule, a tail,
    // unused head, unused tail, final ERROR.
    expect(comefrom).toEqual([2, 2, 4, 8, 8, 0, 10, 10, 0, 0, 0]);
  });

  it('says what and where when it refuses', () => {
    const result = translate(filter(), (_entries, view) =>
      view.setUint16(152 + IptEntryOffset.targetOffset, 100, true),
    );
    expect(result).toEqual({
      ok: false,
      errno: Errno.EINVAL,
      message: 'entry 1 at offset 152: target_offset 100 points inside the entry header',
    });
  });

  it('refuses loops through user chains with ELOOP', () => {
    const looping = filter();
    looping.chains[3]?.rules.push({ target: { kind: 'jump', chain: 'a' } });
    expect(translate(looping)).toMatchObject({ ok: false, errno: Errno.ELOOP });
  });

  it('refuses jumps to built-in chains and repeated user chain names (bpfilter layout rules)', () => {
    const toBuiltin = translate(filter(), (_entries, view) =>
      view.setInt32(112 + 32, 152 * 2, true),
    ); // INPUT jump -> FORWARD's policy
    expect(toBuiltin).toMatchObject({ ok: false, errno: Errno.EINVAL });
    expect(toBuiltin.ok || toBuiltin.message).toMatch(/not the start of a user chain/);
    const twice = translate(filter(), (entries) =>
      entries.set(new TextEncoder().encode('a\0\0\0\0\0'), 1240 + 112 + 32),
    ); // rename "unused" to "a"
    expect(twice.ok || twice.message).toMatch(/empty or repeated/);
  });

  describe('rules without a target (libiptc: a standard verdict naming the next entry)', () => {
    const counting: Table = {
      name: 'filter',
      chains: [
        {
          name: 'INPUT',
          policy: 'ACCEPT',
          rules: [
            { source: '1.2.3.4', target: { kind: 'none' } },
            { target: { kind: 'verdict', verdict: 'ACCEPT' } },
          ],
        },
        { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
        {
          name: 'OUTPUT',
          policy: 'ACCEPT',
          rules: [
            {
              protocol: 6,
              matches: [{ kind: 'tcp', destinationPorts: [443, 443] }],
              target: { kind: 'none' },
            },
          ],
        },
      ],
    };

    it('accepts them, with the comefrom a kernel computes for them', () => {
      const result = translate(counting);
      if (!result.ok) throw new Error(result.message);
      const { entries, offsets } = result.table;
      const comefrom = offsets.map((o) =>
        viewOf(entries).getUint32(o + IptEntryOffset.comefrom, true),
      );
      // Measured (Linux 6.18, the same rules set by iptables-legacy): the fall-through is walked
      // as a jump, so INPUT's policy behind the unconditional ACCEPT is reached by no hook.
      expect(comefrom).toEqual([2, 2, 0, 4, 8, 8, 0]);
    });

    it('still refuses a jump past the next entry, and a goto to the next entry', () => {
      const past = translate(counting, (_entries, view) => view.setInt32(112 + 32, 304, true));
      expect(past).toMatchObject({
        ok: false,
        errno: Errno.EINVAL,
        message: 'entry 0 at offset 0: jump to offset 304, which is not the start of a user chain',
      });
      const goto = translate(counting, (entries) => (entries[IptEntryOffset.flags] = IPT_F_GOTO));
      expect(goto).toMatchObject({ ok: false, errno: Errno.EINVAL });
      expect(goto.ok || goto.message).toMatch(/^entry 0 at offset 0: a goto to the next entry/);
    });
  });

  it('never trusts a size field to stay in bounds', () => {
    const encoded = encodeTable(filter());
    expect(translateTable({ ...encoded, size: encoded.size + 8 })).toMatchObject({
      ok: false,
      errno: Errno.EINVAL,
    });
  });
});
