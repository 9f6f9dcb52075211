import { describe, expect, it } from 'vitest';
import { filterBatch } from './netlink-bytes.testing.js';

/** The attributes of one netlink message or nest (`from`..`to` of `b`), by type. */
function attributes(b: Buffer, from: number, to: number): Map<number, Buffer[]> {
  const found = new Map<number, Buffer[]>();
  for (let at = from; at + 4 <= to; ) {
    const len = b.readUInt16LE(at);
    const type = b.readUInt16LE(at + 2) & 0x3fff;
    found.set(type, [...(found.get(type) ?? []), b.subarray(at + 4, at + len)]);
    at += (len + 3) & ~3;
  }
  return found;
}

/** Of each set the batch declares, the size it says (0: none) and the elements it adds. */
function setsOf(batch: Buffer): Map<string, { size: number; elements: number }> {
  const sets = new Map<string, { size: number; elements: number }>();
  const name = (attrs: Map<number, Buffer[]>) => attrs.get(2)![0]!.toString().replace(/\0.*/, '');
  for (let at = 0; at < batch.length; at += (batch.readUInt32LE(at) + 3) & ~3) {
    const type = batch.readUInt16LE(at + 4);
    if (type >> 8 !== 10) continue; // not nf_tables (the batch's begin and end)
    const attrs = attributes(batch, at + 20, at + batch.readUInt32LE(at));
    if ((type & 0xff) === 9) {
      const desc = attrs.get(9)?.[0];
      const size = desc && attributes(desc, 0, desc.length).get(1)?.[0]?.readUInt32BE(0);
      sets.set(name(attrs), { size: size ?? 0, elements: 0 });
    } else if ((type & 0xff) === 12) {
      const list = attrs.get(3)![0]!;
      sets.get(name(attrs))!.elements += attributes(list, 0, list.length).get(1)!.length;
    }
  }
  return sets;
}

describe('sets in the netlink batch', () => {
  it('a verdict map and the key sets of segments say how many elements they get', () => {
    // A mix as the bench's: a verdict map of address and port, segments of the rest.
    const lines = Array.from({ length: 300 }, (_, i) => {
      const a = `10.${i >> 8}.${i & 255}.1`;
      if (i % 5 === 0) return `-A INPUT -i eth${i % 8} -p udp -m udp --dport ${1000 + i} -j DROP`;
      if (i % 7 === 0) return `-A INPUT -d 192.0.2.${i % 256}/32 -s ${a}/32 -j ACCEPT`;
      return `-A INPUT -s ${a}/32 -p tcp -m tcp --dport ${1000 + i} -j DROP`;
    });
    const sets = setsOf(filterBatch(lines.join('\n')));
    const names = [...sets.keys()];
    expect(names.filter((n) => n.startsWith('vmap')).length).toBeGreaterThan(0);
    expect(names.filter((n) => n.startsWith('keys')).length).toBeGreaterThan(0);
    for (const [n, { size, elements }] of sets) {
      expect(elements, n).toBeGreaterThan(0);
      expect(size, n).toBe(elements);
    }
  });

  it('an interval map says no size (its elements are ranges)', () => {
    const lines = Array.from(
      { length: 40 },
      (_, i) => `-A INPUT -s 10.${i}.0.0/16 -p tcp -m tcp --dport ${1000 + i} -j DROP`,
    );
    const sets = setsOf(filterBatch(lines.join('\n')));
    expect(sets.size).toBeGreaterThan(0);
    for (const [n, { size }] of sets) expect(size, n).toBe(0);
  });
});
