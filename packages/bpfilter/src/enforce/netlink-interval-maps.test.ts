import { describe, expect, it } from 'vitest';
import { attr, filterBatch, nest, u32 } from './netlink-bytes.testing.js';

const batchOf = (rules: string[]) => filterBatch(rules.join('\n'));
const ipv4 = (a: string) => Uint8Array.from(a.split('.').map(Number));
const key = (type: number, value: Uint8Array) => nest(type, attr(1, value));
/** NFTA_SET_ELEM_DATA: NFTA_DATA_VERDICT: NFTA_VERDICT_CODE (NF_ACCEPT 1, NF_DROP 0). */
const verdict = (code: number) => nest(2, nest(2, u32(1, code)));
/** nftnl's comment TLV, then the interval-open flag TLV when `open`. */
const comment = (n: number, open = false) =>
  attr(
    6,
    Buffer.concat([
      Uint8Array.of(0, `rule ${n}`.length + 1),
      Buffer.from(`rule ${n}\0`),
      open ? Uint8Array.of(1, 4, 1, 0, 0, 0) : Uint8Array.of(),
    ]),
  );
const end = (value: Uint8Array) => nest(1, u32(3, 1), key(1, value));

// Spelled out from what `nft --debug=mnl -f` showed nft 1.0.6 send for the same maps.
describe('interval maps in the netlink batch, as nft sends them', () => {
  it('writes source prefixes as an rbtree: starts and ends in key order, no end past the last address', () => {
    const nets = [
      '10.0.0.0',
      '10.0.1.0',
      '10.0.3.0',
      '10.0.7.0',
      '10.0.5.0',
      '10.0.9.0',
      '10.0.11.0',
    ];
    const rules = [
      ...nets.map((net, i) => `-A INPUT -s ${net}/24 -j ${i === 0 ? 'ACCEPT' : 'DROP'}`),
      '-A INPUT -s 255.255.255.0/24 -j DROP',
    ];
    const b = batchOf(rules);
    // NEWSET: map and interval; ipv4_addr, 4 bytes; verdicts.
    const declaration = Buffer.concat([u32(3, 0x0c), u32(4, 7), u32(5, 4), u32(6, 0xffffff00)]);
    expect(b.indexOf(declaration)).toBeGreaterThan(0);
    const start = (net: string, code: number, n: number, open = false) =>
      nest(1, key(1, ipv4(net)), verdict(code), comment(n, open));
    const next = (net: string) => {
      const v = ipv4(net);
      v[2]! += 1;
      return v;
    };
    // Rules 4 and 5 are written in key order (10.0.5.0 first); 10.0.0.0 ends where 10.0.1.0
    // starts, and both elements are sent.
    const sorted = [0, 1, 2, 4, 3, 5, 6];
    const elements = nest(
      3,
      end(ipv4('0.0.0.0')),
      ...sorted.flatMap((i) => [start(nets[i]!, i === 0 ? 1 : 0, i + 1), end(next(nets[i]!))]),
      start('255.255.255.0', 0, 8, true),
    );
    expect(b.indexOf(elements)).toBeGreaterThan(0);
  });

  it('writes prefixes with port ranges as a concatenation: a key and a key end per element, in rule order', () => {
    const rules = Array.from(
      { length: 8 },
      (_, i) =>
        `-A INPUT -s 172.16.${i}.0/24 -p tcp -m tcp --dport ${1000 * i + 1}:${1000 * i + 999} -j DROP`,
    );
    const b = batchOf(rules);
    // NEWSET: map, interval and concatenation; ipv4_addr . inet_service; 8 bytes; verdicts;
    // the parts' lengths (NFTA_SET_DESC_CONCAT).
    const declaration = Buffer.concat([
      u32(3, 0x8c),
      u32(4, (7 << 6) | 13),
      u32(5, 8),
      u32(6, 0xffffff00),
      nest(9, nest(2, nest(1, u32(1, 4)), nest(1, u32(1, 2)))),
    ]);
    expect(b.indexOf(declaration)).toBeGreaterThan(0);
    const part = (address: string, port: number) => {
      const v = Buffer.alloc(8);
      v.set(ipv4(address));
      v.writeUInt16BE(port, 4);
      return v;
    };
    const elements = nest(
      3,
      ...rules.map((_, i) =>
        nest(
          1,
          key(1, part(`172.16.${i}.0`, 1000 * i + 1)),
          key(10, part(`172.16.${i}.255`, 1000 * i + 999)),
          verdict(0),
          comment(i + 1),
        ),
      ),
    );
    expect(b.indexOf(elements)).toBeGreaterThan(0);
  });
});
