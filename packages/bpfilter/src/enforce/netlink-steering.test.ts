import { describe, expect, it } from 'vitest';
import { encodeTable } from '../model/encode.js';
import type { Rule } from '../model/types.js';
import { parseSave } from '../text/parse-save.js';
import { type CompiledTable, compileTable } from './compile-table.js';
import { attr, expr, immediate, nest, u32 } from './netlink-bytes.testing.js';

const CHAINS: Record<string, string> = {
  filter: ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
  raw: ':PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
  mangle:
    ':PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]',
};

/** Table `name` with `rules` in its first chain, compiled for the netlink path. */
function compiled(name: string, rules: Rule[]): CompiledTable {
  const [parsed] = parseSave(`*${name}\n${CHAINS[name]}\nCOMMIT\n`);
  const chains = parsed!.chains.map((c, i) => (i === 0 ? { ...c, rules } : c));
  const encoded = encodeTable({ name, chains });
  return compileTable({ name, layout: encoded, entries: encoded.entries, netlink: true });
}

function bytesOf(name: string, rule: Rule): Buffer {
  const { batch } = compiled(name, [rule]);
  expect(batch?.compatRules).toBeUndefined();
  return batch!.bytes;
}

const bytes = (size: number, write: (b: Buffer) => void) => {
  const b = Buffer.alloc(size);
  write(b);
  return b;
};
const raw = (name: string, revision: number, data: Uint8Array) =>
  ({ kind: 'raw', name, revision, data }) as const;
const rule = (protocol: number, matches: Rule['matches'], target: Rule['target']): Rule => ({
  protocol,
  matches,
  target,
});
const ACCEPT: Rule['target'] = { kind: 'verdict', verdict: 'ACCEPT' };
const data = (type: number, value: number[]) => nest(type, attr(1, Uint8Array.from(value)));
const bitwise = (len: number, mask: number[], xor: number[]) =>
  expr('bitwise', u32(1, 1), u32(2, 1), u32(3, len), data(4, mask), data(5, xor));
/** `meta load mark` into register 1, then `(reg & mask) ^ xor` (host order). */
const markMasked = (mask: number[], xor: number[]) => [
  expr('meta', u32(1, 1), u32(2, 3)),
  bitwise(4, mask, xor),
];
/** Header `base`'s 16-bit word at `offset` loaded, `& keep ^ xor`, written back with the checksum at `csum` fixed. */
const rewrite = (base: number, offset: number, keep: number[], xor: number[], csum: number) => [
  expr('payload', u32(1, 1), u32(2, base), u32(3, offset), u32(4, 2)),
  bitwise(2, keep, xor),
  expr('payload', ...[base, offset, 2, 1, 1, csum, 0].map((v, i) => u32(i + 2, v))),
];
const cmp = (op: number, value: number[]) => expr('cmp', u32(1, 1), u32(2, op), data(3, value));

/** struct xt_CT target info revision 2 (72 bytes): flags, zone, events, helper. */
const ct = (flags: number, zone: number, helper = '', events = 0) =>
  bytes(72, (b) => {
    b.writeUInt16LE(flags, 0);
    b.writeUInt16LE(zone, 2);
    b.writeUInt32LE(events, 4);
    b.write(helper, 12);
  });

/** struct xt_multiport_v1: flags, count, ports, pflags, invert. */
const multiport = (flags: number, ports: number[], ranges: number[], invert = 0) =>
  bytes(48, (b) => {
    b[0] = flags;
    b[1] = ports.length;
    ports.forEach((p, i) => b.writeUInt16LE(p, 2 + 2 * i));
    for (const i of ranges) b[32 + i] = 1;
    b[47] = invert;
  });

describe('steering extensions in the netlink batch, as nft --debug=mnl shows nft send them', () => {
  it('writes -m mark --mark 0x10/0xf0 as meta load mark, bitwise, cmp (host order)', () => {
    const mark = bytes(16, (b) => {
      b.writeUInt32LE(0x10, 0);
      b.writeUInt32LE(0xf0, 4);
    });
    const b = bytesOf('filter', rule(0, [raw('mark', 1, mark)], ACCEPT));
    const want = Buffer.concat([
      ...markMasked([0xf0, 0, 0, 0], [0, 0, 0, 0]),
      cmp(0, [0x10, 0, 0, 0]),
    ]);
    expect(b.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes -m addrtype --dst-type LOCAL as fib daddr type == local', () => {
    const addrtype = bytes(8, (b) => b.writeUInt16LE(1 << 2, 2));
    const b = bytesOf('filter', rule(0, [raw('addrtype', 1, addrtype)], ACCEPT));
    const want = Buffer.concat([
      expr('fib', u32(3, 2), u32(2, 3), u32(1, 1)),
      cmp(0, [2, 0, 0, 0]),
    ]);
    expect(b.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes -m rpfilter as fib saddr [. mark] [. iif] oif compared with 0, as nft does', () => {
    const DROP: Rule['target'] = { kind: 'verdict', verdict: 'DROP' };
    // --validmark --invert (Calico's raw table): `fib saddr . mark . iif oif 0`.
    const strict = bytesOf(
      'raw',
      rule(
        0,
        [
          raw(
            'rpfilter',
            0,
            bytes(8, (b) => (b[0] = 0xa)),
          ),
        ],
        DROP,
      ),
    );
    const fib = (flags: number) => expr('fib', u32(3, flags), u32(2, 1), u32(1, 1));
    expect(strict.indexOf(Buffer.concat([fib(1 | 4 | 8), cmp(0, [0, 0, 0, 0])]))).toBeGreaterThan(
      0,
    );
    // --loose: `fib saddr oif != 0`.
    const loose = bytesOf(
      'raw',
      rule(
        0,
        [
          raw(
            'rpfilter',
            0,
            bytes(8, (b) => (b[0] = 1)),
          ),
        ],
        ACCEPT,
      ),
    );
    expect(loose.indexOf(Buffer.concat([fib(1), cmp(1, [0, 0, 0, 0])]))).toBeGreaterThan(0);
  });

  it('leaves -m rpfilter --accept-local to xt_rpfilter (nft_compat): fib has no form for it', () => {
    const acceptLocal = raw(
      'rpfilter',
      0,
      bytes(8, (b) => (b[0] = 4)),
    );
    const { batch } = compiled('raw', [rule(0, [acceptLocal], ACCEPT)]);
    expect(batch!.bytes.includes(Buffer.from('rpfilter\0'))).toBe(true);
  });

  it('writes --dports 22,80,1000:2000 as an anonymous interval set before the rule', () => {
    const ports = multiport(1, [22, 80, 1000, 2000], [2]);
    const b = bytesOf('filter', rule(6, [raw('multiport', 1, ports)], ACCEPT));
    // NEWSET: anonymous, constant, interval; inet_service, 2 bytes; id 1; 7 elements.
    const set = Buffer.concat([
      attr(2, Buffer.from('__set%d\0')),
      u32(3, 7),
      u32(4, 13),
      u32(5, 2),
      u32(10, 1),
      nest(9, u32(1, 7)),
    ]);
    const key = (port: number) => nest(1, attr(1, Uint8Array.of(port >> 8, port & 255)));
    const elements = nest(
      3,
      ...[0, 22, 23, 80, 81, 1000, 2001].map((port, i) =>
        nest(1, ...(i % 2 === 0 ? [u32(3, 1), key(port)] : [key(port)])),
      ),
    );
    const lookup = expr('lookup', attr(1, Buffer.from('__set%d\0')), u32(2, 1), u32(4, 1));
    const at = [b.indexOf(set), b.indexOf(elements), b.indexOf(lookup)];
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });

  it('writes MARK --set-xmark 0x5/0xff as meta mark set meta mark & ~M ^ V', () => {
    const mark = bytes(8, (b) => {
      b.writeUInt32LE(5, 0);
      b.writeUInt32LE(0xff, 4);
    });
    const b = bytesOf('mangle', rule(0, [], raw('MARK', 2, mark)));
    const want = Buffer.concat([
      ...markMasked([0, 0xff, 0xff, 0xff], [5, 0, 0, 0]),
      expr('meta', u32(2, 3), u32(3, 1)),
    ]);
    expect(b.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes CT --notrack as notrack and CT --zone-reply 5 as ct reply zone set 5', () => {
    expect(
      bytesOf('raw', rule(0, [], raw('CT', 2, ct(1, 0)))).indexOf(expr('notrack')),
    ).toBeGreaterThan(0);
    const zone = bytesOf('raw', rule(0, [], raw('CT', 2, ct(8, 5))));
    const want = Buffer.concat([
      immediate(1, [5, 0]),
      expr('ct', u32(2, 17), attr(3, Uint8Array.of(1)), u32(4, 1)),
    ]);
    expect(zone.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes TOS --set-tos 0x10/0x3f as a rewrite of the first 16-bit word, checksum fixed', () => {
    const b = bytesOf(
      'mangle',
      rule(0, [], raw('TOS', 1, Uint8Array.of(0x10, 0x3f, 0, 0, 0, 0, 0, 0))),
    );
    const want = Buffer.concat(rewrite(1, 0, [0xff, 0xc0], [0, 0x10], 10));
    expect(b.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes TPROXY --on-port 9999 --on-ip 127.0.0.1 --tproxy-mark 0x1/0x1 as two rules', () => {
    // struct xt_tproxy_target_info_v1: mark_mask, mark_value, laddr (16 bytes), lport.
    const info = bytes(32, (b) => {
      b.writeUInt32LE(1, 0);
      b.writeUInt32LE(1, 4);
      b.writeUInt32BE(0x7f000001, 8);
      b.writeUInt16BE(9999, 24);
    });
    const b = bytesOf('mangle', rule(6, [], raw('TPROXY', 1, info)));
    // tcp ... tproxy ip to 127.0.0.1:9999 counter meta mark set meta mark | 1 accept
    const redirect = Buffer.concat([
      immediate(1, [127, 0, 0, 1]),
      immediate(2, [0x27, 0x0f]),
      expr('tproxy', u32(1, 2), u32(2, 1), u32(3, 2)),
      expr('counter'),
    ]);
    const marked = Buffer.concat([
      ...markMasked([0xfe, 0xff, 0xff, 0xff], [1, 0, 0, 0]),
      expr('meta', u32(2, 3), u32(3, 1)),
    ]);
    // ... then, for what no socket took: counter drop.
    const drop = expr('immediate', u32(1, 0), nest(2, nest(2, u32(1, 0))));
    const at = [b.indexOf(redirect), b.indexOf(marked), b.lastIndexOf(drop)];
    expect(at.every((i) => i > 0)).toBe(true);
    expect([...at].sort((x, y) => x - y)).toEqual(at);
  });

  it('writes TCPOPTSTRIP --strip-options sack-permitted,timestamp as two exthdr resets', () => {
    const info = bytes(32, (b) => b.writeUInt32LE((1 << 4) | (1 << 8), 0));
    const b = bytesOf('mangle', rule(6, [], raw('TCPOPTSTRIP', 0, info)));
    const reset = (kind: number) => expr('exthdr', attr(2, Uint8Array.of(kind)), u32(6, 1));
    expect(b.indexOf(Buffer.concat([reset(4), reset(8)]))).toBeGreaterThan(0);
  });

  it('writes ECN --ecn-tcp-remove as a rewrite of the TCP flags word, TCP checksum fixed', () => {
    // struct ipt_ECN_info: operation SET_ECE | SET_CWR, ip_ect 0, ece 0, cwr 0.
    const b = bytesOf(
      'mangle',
      rule(6, [], raw('ECN', 0, Uint8Array.of(0x30, 0, 0, 0, 0, 0, 0, 0))),
    );
    const want = Buffer.concat(rewrite(2, 12, [0xff, 0x3f], [0, 0], 16));
    expect(b.indexOf(want)).toBeGreaterThan(0);
  });

  it('writes CT --helper and --ctevents through nft_compat in a table named raw, marked, bpfilter_raw deleted', () => {
    for (const info of [ct(0, 0, 'ftp'), ct(0, 0, '', 1)]) {
      const { plan, batch, dropped } = compiled('raw', [rule(6, [], raw('CT', 2, info))]);
      // xt_check_target compares CT's table, raw, with the nf_tables table's name.
      expect(plan.nftTable).toBe('raw');
      expect([...(batch?.plain ?? [])]).toEqual(['raw']);
      expect([...batch!.compatRules!.values()][0]).toContain('xt target CT revision 2');
      expect(dropped).toBe(false);
      const text = batch!.bytes.toString('latin1');
      expect(text).toContain('bpfilter_raw\0');
      expect(text).toContain('bpfilter enforcement\0');
    }
  });

  it('a table bpfilter holds as `raw` and now can write as bpfilter_raw: that transaction deletes `raw`', () => {
    const [parsed] = parseSave(`*raw\n${CHAINS.raw}\nCOMMIT\n`);
    const encoded = encodeTable({ name: 'raw', chains: parsed!.chains });
    const input = { name: 'raw', layout: encoded, entries: encoded.entries, netlink: true };
    const owned = compileTable({ ...input, dropPlain: true });
    expect(owned.plan.nftTable).toBe('bpfilter_raw');
    expect(owned.dropped).toBe(true);
    const fresh = compileTable(input);
    expect(fresh.dropped).toBe(false);
    // One more table message pair: the create and delete of `raw`.
    expect(owned.batch!.commandOf.length).toBe(fresh.batch!.commandOf.length + 2);
  });

  it('sends a -m multiport without ports to nft_compat (xt_multiport matches nothing then)', () => {
    // count 0: iptables writes none, a setsockopt blob can, and the kernel's check takes it.
    const info = multiport(1, [], []);
    for (const invert of [0, 1]) {
      info[47] = invert;
      const { batch } = compiled('filter', [rule(6, [raw('multiport', 1, info)], ACCEPT)]);
      expect([...(batch?.compatRules?.values() ?? [])][0]).toContain('xt match multiport');
    }
  });

  it('sends -m recent beside CT --notrack, and LOG beside TOS, as one batch', () => {
    const recent = raw('recent', 1, new Uint8Array(40));
    const notrack = compiled('raw', [rule(0, [recent], raw('CT', 2, ct(1, 0)))]);
    expect([...notrack.batch!.compatRules!.values()][0]).toContain('xt match recent');
    const log = raw('LOG', 0, new Uint8Array(40));
    const tos = raw('TOS', 1, Uint8Array.of(0x10, 0xff, 0, 0, 0, 0, 0, 0));
    const both = compiled('mangle', [rule(0, [], tos), rule(0, [], log)]);
    expect(both.transaction).toBeUndefined();
    expect([...both.batch!.compatRules!.values()][0]).toContain('xt target LOG');
  });
});
