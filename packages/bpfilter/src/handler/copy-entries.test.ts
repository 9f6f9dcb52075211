import { describe, expect, it } from 'vitest';
import { EntryBlob } from '../abi/index.js';
import { encodeTable } from '../model/index.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { copyEntriesToUser, zeroUncopied } from './copy-entries.js';

/** limit's state past its user size (1/s, burst 1): bytes the kernel keeps but never copies back. */
const LIMIT_DATA = new Uint8Array(40).fill(0xee);
LIMIT_DATA.set([0x10, 0x27, 0, 0, 1, 0, 0, 0]);
const LIMIT: Rule = {
  matches: [{ kind: 'raw', name: 'limit', revision: 0, data: LIMIT_DATA }],
  target: { kind: 'verdict', verdict: 'ACCEPT' },
};

/** A filter table whose first rule's tcp match has bytes after its name's NUL, and a limit rule. */
function entries(): { bytes: Uint8Array; offsets: number[] } {
  const [table] = parseSave(
    '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n' +
      '-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n',
  );
  table!.chains.find((c) => c.name === 'INPUT')!.rules.push(LIMIT);
  const bytes = encodeTable(table!).entries;
  // The tcp match follows the first entry's 112-byte header; its name "tcp" ends at 114 + 3.
  bytes[114 + 3 + 2] = 0xaa;
  return { bytes, offsets: new EntryBlob(bytes).offsets() };
}

describe('a table turned in place into what GET_ENTRIES writes into zeros', () => {
  it('is what copyEntriesToUser writes into zeros: name tails and data past the user size zeroed', () => {
    const { bytes, offsets } = entries();
    const copied = new Uint8Array(bytes.length);
    copyEntriesToUser(bytes, offsets, copied);
    expect(copied).not.toEqual(bytes);
    expect(zeroUncopied(bytes, offsets)).toBe(true);
    expect(bytes).toEqual(copied);
  });

  it('is not done, and nothing changes, for an entry whose matches do not end at its target', () => {
    const { bytes, offsets } = entries();
    // The tcp match 8 bytes shorter: the next object would start inside it.
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint16(112, view.getUint16(112, true) - 8, true);
    const before = bytes.slice();
    expect(zeroUncopied(bytes, offsets)).toBe(false);
    expect(bytes).toEqual(before);
  });
});

describe("the ERROR target's data", () => {
  it('is its 30-byte chain name: the 2 bytes after it are zeroed, as the kernel copies it back', () => {
    const [table] = parseSave(
      '*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]\n' +
        '-A INPUT -j web\nCOMMIT\n',
    );
    const bytes = encodeTable(table!).entries;
    const blob = new EntryBlob(bytes);
    const offsets = blob.offsets();
    // Each ERROR target (the chain web's head, the table's end): junk in the name's tail, which
    // the kernel copies back as it is, and in the two bytes of padding after it.
    const errors = offsets
      .filter((o) => blob.targetName(o) === 'ERROR')
      .map((o) => blob.targetAt(o) + 32);
    expect(errors).toHaveLength(2);
    for (const data of errors) bytes.fill(0xaa, data + 20, data + 32);
    const copied = new Uint8Array(bytes.length);
    copyEntriesToUser(bytes, offsets, copied);
    for (const data of errors) {
      expect([...copied.subarray(data + 20, data + 30)]).toEqual(new Array(10).fill(0xaa));
      expect([...copied.subarray(data + 30, data + 32)]).toEqual([0, 0]);
    }
    expect(zeroUncopied(bytes, offsets)).toBe(true);
    expect(bytes).toEqual(copied);
  });
});
