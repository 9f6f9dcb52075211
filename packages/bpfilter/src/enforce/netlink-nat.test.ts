import { describe, expect, it } from 'vitest';
import { encodeTable } from '../model/encode.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { type CompiledTable, compileTable } from './compile-table.js';
import { expr, immediate, u32 } from './netlink-bytes.testing.js';

const NAT_CHAINS =
  ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]';

/** The nat table with `rule` in `chains`, compiled for the netlink path. */
function compiled(rule: Rule, chains = ['PREROUTING', 'POSTROUTING']): CompiledTable {
  const [parsed] = parseSave(`*nat\n${NAT_CHAINS}\nCOMMIT\n`);
  const encoded = encodeTable({
    name: 'nat',
    chains: parsed!.chains.map((c) => (chains.includes(c.name) ? { ...c, rules: [rule] } : c)),
  });
  return compileTable({ name: 'nat', layout: encoded, entries: encoded.entries, netlink: true });
}

/** The nat table's batch with `rule` in PREROUTING and POSTROUTING: no nft_compat in it. */
function batchOf(rule: Rule): Buffer {
  const { batch } = compiled(rule);
  expect(batch?.compatRules).toBeUndefined();
  return batch!.bytes;
}

/** `struct nf_nat_range` (revision 1): flags, addresses, ports (network order). */
function range(flags: number, [a1, a2]: number[], [p1, p2]: number[]): Uint8Array {
  const b = Buffer.alloc(40);
  b.writeUInt32LE(flags, 0);
  b.writeUInt32BE(a1!, 4);
  b.writeUInt32BE(a2!, 20);
  b.writeUInt16BE(p1!, 36);
  b.writeUInt16BE(p2!, 38);
  return b;
}

/** `struct nf_nat_ipv4_multi_range_compat` (revision 0) with one range of ports. */
function ports(flags: number, [p1, p2]: number[]): Uint8Array {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(1, 0);
  b.writeUInt32LE(flags, 4);
  b.writeUInt16BE(p1!, 16);
  b.writeUInt16BE(p2!, 18);
  return b;
}

const raw = (name: string, revision: number, data: Uint8Array, protocol = 6): Rule => ({
  protocol,
  matches: [],
  target: { kind: 'raw', name, revision, data },
});

describe('nat statements in the netlink batch', () => {
  it('writes SNAT to an address and port range, --random, as nft does', () => {
    // ip protocol tcp snat to 10.0.0.1-10.0.0.2:1000-2000 random
    const bytes = batchOf(raw('SNAT', 1, range(1 | 2 | 4, [0x0a000001, 0x0a000002], [1000, 2000])));
    const want = Buffer.concat([
      immediate(1, [10, 0, 0, 1]),
      immediate(2, [10, 0, 0, 2]),
      immediate(3, [0x03, 0xe8]),
      immediate(4, [0x07, 0xd0]),
      expr('nat', u32(1, 0), u32(2, 2), u32(3, 1), u32(4, 2), u32(5, 3), u32(6, 4), u32(7, 6)),
    ]);
    expect(bytes.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes DNAT to one address and port with its dnat type and PROTO_SPECIFIED', () => {
    // ip protocol tcp dnat to 10.0.0.1:8080
    const bytes = batchOf(raw('DNAT', 1, range(1 | 2, [0x0a000001, 0x0a000001], [8080, 8080])));
    const want = Buffer.concat([
      immediate(1, [10, 0, 0, 1]),
      immediate(2, [0x1f, 0x90]),
      expr('nat', u32(1, 1), u32(2, 2), u32(3, 1), u32(5, 2), u32(7, 2)),
    ]);
    expect(bytes.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes MASQUERADE --to-ports --random-fully and REDIRECT --to-ports --random', () => {
    // ip protocol udp masquerade to :1000 fully-random
    const masq = batchOf(raw('MASQUERADE', 0, ports(2 | 16, [1000, 1000]), 17));
    const wantMasq = Buffer.concat([
      immediate(1, [0x03, 0xe8]),
      expr('masq', u32(1, 0x12), u32(2, 1)),
    ]);
    expect(masq.indexOf(wantMasq)).toBeGreaterThan(0);
    // ip protocol tcp redirect to :8080 random
    const redir = batchOf(raw('REDIRECT', 0, ports(2 | 4, [8080, 8080])));
    const wantRedir = Buffer.concat([
      immediate(1, [0x1f, 0x90]),
      expr('redir', u32(1, 1), u32(3, 6)),
    ]);
    expect(redir.indexOf(wantRedir)).toBeGreaterThan(0);
  });

  it('writes a bare MASQUERADE as an empty masq expression', () => {
    const bytes = batchOf(raw('MASQUERADE', 0, ports(0, [0, 0]), 0));
    expect(bytes.indexOf(expr('masq'))).toBeGreaterThan(0);
  });

  it('leaves a port without -p tcp/udp to nft, which refuses it by name', () => {
    const icmp = compiled(raw('DNAT', 1, range(1 | 2, [0x0a000001, 0x0a000001], [80, 80]), 1));
    expect(icmp.batch).toBeUndefined();
    expect(JSON.stringify(icmp.transaction)).toContain('"dnat"');
  });
});
