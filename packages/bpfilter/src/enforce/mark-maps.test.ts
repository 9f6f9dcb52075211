import { describe, expect, it } from 'vitest';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { markTarget } from './grouping.testing.js';
import { attr, expr, nest, tableBatch, u32 } from './netlink-bytes.testing.js';

/** The netlink batch of a mangle table whose PREROUTING holds `rules`. */
function batchOf(rules: Rule[]): Buffer {
  const [parsed] = parseSave(
    '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n',
  );
  return tableBatch({
    name: 'mangle',
    chains: parsed!.chains.map((c, i) => (i === 0 ? { ...c, rules } : c)),
  });
}

const hosts = (marks: number[]) =>
  marks.map((mark, i): Rule => ({ source: `10.0.0.${i + 1}/32`, target: markTarget(mark) }));

// Spelled out from what `nft --debug=mnl -f` showed nft 1.0.6 send for
// `map m { type ipv4_addr : mark; counter; elements = { 10.0.0.1 : 1 } }` and
// `meta mark set ip saddr map @m`.
describe('per-host marks as a map of marks in the netlink batch, as nft sends them', () => {
  it('declares a map of marks, its elements hold their marks, its rule sets the mark it finds', () => {
    const b = batchOf(hosts([1, 2, 3, 1, 2, 3, 1, 2]));
    // NEWSET: a map; ipv4_addr, 4 bytes; mark data, 4 bytes; its size, the 8 elements it gets
    // (where nft sends it for `size 8`); then the set's id and nftnl's
    // udata (key big endian, data host endian, data not intervals), then the counter (an
    // empty NFTA_EXPR_DATA, as nft sends it).
    const declaration = Buffer.concat([
      u32(3, 0x08),
      u32(4, 7),
      u32(5, 4),
      u32(6, 19),
      u32(7, 4),
      nest(9, u32(1, 8)),
      u32(10, 1),
      attr(13, Uint8Array.of(0, 4, 2, 0, 0, 0, 1, 4, 1, 0, 0, 0, 6, 4, 0, 0, 0, 0)),
      nest(17, attr(1, Buffer.from('counter\0')), nest(2)),
    ]);
    expect(b.indexOf(declaration)).toBeGreaterThan(0);
    // An element: the key, NFTA_SET_ELEM_DATA's value (the mark in host order), its comment.
    const element = nest(
      1,
      nest(1, attr(1, Uint8Array.of(10, 0, 0, 3))),
      nest(2, attr(1, Uint8Array.of(3, 0, 0, 0))),
      attr(6, Buffer.concat([Uint8Array.of(0, 7), Buffer.from('rule 3\0')])),
    );
    expect(b.indexOf(element)).toBeGreaterThan(0);
    // The rule: ip saddr into register 1, looked up with register 1 as the data's, meta mark
    // set from it; no counter of its own.
    const rule = Buffer.concat([
      expr('payload', u32(1, 1), u32(2, 1), u32(3, 12), u32(4, 4)),
      expr('lookup', attr(1, Buffer.from('mmap0\0')), u32(2, 1), u32(3, 1), u32(4, 1)),
      expr('meta', u32(2, 3), u32(3, 1)),
    ]);
    expect(b.indexOf(nest(4, rule))).toBeGreaterThan(0);
  });

  it('makes hosts marked alike a counted set, and a map only of eight or more', () => {
    const alike = batchOf(hosts(Array(8).fill(5)));
    expect(alike.indexOf(Buffer.from('cset0\0'))).toBeGreaterThan(0);
    expect(alike.indexOf(Buffer.from('mmap'))).toBe(-1);
    const few = batchOf(hosts([1, 2, 3, 4, 5, 6, 7]));
    expect(few.indexOf(Buffer.from('mmap'))).toBe(-1);
    expect(few.indexOf(Buffer.from('cset'))).toBe(-1);
  });
});
