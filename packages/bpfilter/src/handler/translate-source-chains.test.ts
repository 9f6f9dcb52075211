import { describe, expect, it } from 'vitest';
import { EntryBlob, entryIndexOf, IptEntryOffset } from '../abi/index.js';
import { encodeTable } from '../model/encode.js';
import { parseSave } from '../text/parse-save.js';
import { markSourceChains } from './translate-source-chains.js';

const TEXT =
  '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n' +
  '-A INPUT -s 10.0.0.0/8 -j web\n-A INPUT -p tcp -j ACCEPT\n-A web -p udp -j DROP\n' +
  '-A web -j RETURN\nCOMMIT\n';

function walk(edit?: (blob: EntryBlob, offsets: number[]) => void) {
  const table = encodeTable(parseSave(TEXT)[0]!);
  const blob = new EntryBlob(table.entries.slice());
  const offsets = blob.offsets();
  edit?.(blob, offsets);
  const message = markSourceChains(blob, table.validHooks, table.hookEntry, entryIndexOf(offsets));
  return { message, blob, offsets };
}

describe('markSourceChains', () => {
  it('marks the hooks that reach each entry, through a jump and its return', () => {
    const { message, blob, offsets } = walk();
    expect(message).toBeUndefined();
    const IN = 1 << 1;
    // INPUT's two rules and policy, and both rules of `web`: reached from INPUT only.
    const reached = offsets.map((o) => blob.comefrom(o) & 0x1f);
    expect(reached.filter((hooks) => hooks === IN)).toHaveLength(5);
  });

  it('refuses a walk that a next_offset takes off the 8-byte grid', () => {
    const { message } = walk((blob, offsets) => {
      const first = offsets[0]!;
      const view = new DataView(blob.bytes.buffer, blob.bytes.byteOffset);
      const next = view.getUint16(first + IptEntryOffset.nextOffset, true);
      view.setUint16(first + IptEntryOffset.nextOffset, next + 4, true);
    });
    expect(message).toMatch(/hook 1: the walk reaches offset \d+, which is not 8-byte aligned/);
  });
});
