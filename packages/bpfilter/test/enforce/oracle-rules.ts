/**
 * Random rules for the translate oracle (enforce-translate-oracle.test.ts): iptables arguments
 * of the native forms, and, where iptables-translate has no form, the nft rules the kernel
 * module's source means.
 */
import fc from 'fast-check';

/** One rule: its iptables arguments, and the oracle's (other arguments, or nft rules). */
export interface Rule {
  args: string;
  oracleArgs?: string;
  nft?: string[];
}
const ALL = 0xffffffff;

const hex = (n: number) => `0x${n.toString(16)}`;
const not = fc.constantFrom('', '! ');
/** 32-bit values and masks: none, all, a byte, odd ones. */
const u32 = fc.oneof(
  fc.constantFrom(0, ALL, 0xff, 0x10, 0xf0),
  fc.integer({ min: 0, max: ALL }),
  fc.integer({ min: 0, max: 0xff }),
);
const markMatch = fc.tuple(not, u32, fc.option(u32)).map(([n, v, m]) => ({
  v,
  m: m ?? ALL,
  n: n !== '',
  text: `${n}--mark ${hex(v)}${m === null ? '' : `/${hex(m)}`}`,
}));

/** Ports near the edges and in a small window (so lists overlap and touch), and anywhere. */
const port = fc.oneof(
  fc.constantFrom(0, 1, 65534, 65535),
  fc.integer({ min: 20, max: 40 }),
  fc.integer({ min: 0, max: 65535 }),
);
const portItem = fc.oneof(
  port.map((p) => ({ text: `${p}`, slots: 1 })),
  fc
    .tuple(port, port)
    .filter(([a, b]) => a !== b)
    .map(([a, b]) => ({ text: `${Math.min(a, b)}:${Math.max(a, b)}`, slots: 2 })),
);
/** `-m multiport` of up to 15 port slots (a range takes two), as iptables counts them. */
const multiport = fc
  .tuple(
    fc.constantFrom('tcp', 'udp'),
    not,
    fc.constantFrom('--sports', '--dports'),
    fc.array(portItem, { minLength: 1, maxLength: 15 }),
  )
  .map(([proto, n, side, items]) => {
    const list: string[] = [];
    let slots = 0;
    for (const item of items) {
      slots += item.slots;
      if (slots <= 15) list.push(item.text);
    }
    return `-p ${proto} -m multiport ${n}${side} ${list.join(',')}`;
  });

/** RTN_* in order; nft names the first nine, iptables-translate 1.8.9 leaves the others out. */
const TYPES = [
  'UNSPEC',
  'UNICAST',
  'LOCAL',
  'BROADCAST',
  'ANYCAST',
  'MULTICAST',
  'BLACKHOLE',
  'UNREACHABLE',
  'PROHIBIT',
  'THROW',
  'NAT',
  'XRESOLVE',
];
const NAMED = 9;
const types = fc.subarray(TYPES.slice(0, NAMED), { minLength: 1 }).map((t) => t.join(','));
/**
 * `-m addrtype` with one side or both. iptables-translate 1.8.9 prints only the source of a
 * match with both, with the destination's `!` (`--src-type LOCAL ! --dst-type BROADCAST` ->
 * `fib saddr type != local`): its arguments give each side a match of its own, which means
 * the same (xt_addrtype requires both sides).
 */
const addrtype = fc
  .tuple(fc.option(fc.tuple(not, types)), fc.option(fc.tuple(not, types)))
  .filter(([s, d]) => s !== null || d !== null)
  .map(([s, d]) => {
    const sides = [s && `${s[0]}--src-type ${s[1]}`, d && `${d[0]}--dst-type ${d[1]}`].filter(
      (side): side is string => side !== null,
    );
    return {
      args: `-m addrtype ${sides.join(' ')}`,
      oracleArgs: sides.map((side) => `-m addrtype ${side}`).join(' '),
    };
  });

const octets = (a: number) => [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.');
/** An address with a prefix length, or with a dotted mask (odd ones too). */
const cidr = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: ALL }), fc.integer({ min: 0, max: 32 }))
    .map(([a, n]) => `${octets(a)}/${n}`),
  fc.tuple(fc.integer({ min: 0, max: ALL }), u32).map(([a, m]) => `${octets(a)}/${octets(m)}`),
);
/**
 * One side's port (or range) of -m tcp/-m udp; not 0:65535, which bpfilter leaves out beside
 * another port test (the same meaning: that test already needs the header) and writes as a
 * fragment test alone (enforce-netlink compares that with nft's own form).
 */
const l4port = fc
  .tuple(not, port, fc.option(port))
  .map(([n, a, b]) => ({
    n,
    p: b === null || a === b ? `${a}` : `${Math.min(a, b)}:${Math.max(a, b)}`,
  }))
  .filter(({ p }) => p !== '0:65535');
/**
 * `-p tcp -m tcp` or `-p udp -m udp` with ports. iptables-translate 1.8.9 writes udp's dport
 * with sport's `!` (`--sport 5 ! --dport 7` -> `udp dport 7`) and leaves out `! --sport
 * 0:65535`; for the oracle each side is a `-m multiport` of its one port or range, which
 * means the same (both skip fragments). Without a port it prints nothing, not even the
 * protocol (xt_tcp and xt_udp still skip fragments: enforce-netlink covers that test).
 */
const l4 = fc
  .tuple(fc.constantFrom('tcp', 'udp'), fc.option(l4port), fc.option(l4port))
  .filter(([, sp, dp]) => sp !== null || dp !== null)
  .map(([proto, sp, dp]) => {
    const side = (p: typeof sp, name: string, list: string) =>
      p ? [` ${p.n}--${name} ${p.p}`, ` -m multiport ${p.n}--${list} ${p.p}`] : ['', ''];
    const [sport, sports] = side(sp, 'sport', 'sports');
    const [dport, dports] = side(dp, 'dport', 'dports');
    return {
      args: `-p ${proto} -m ${proto}${sport}${dport}`,
      oracleArgs: `-p ${proto}${sports}${dports}`,
    };
  });
/** The protocol part: port lists, ports, a protocol alone or inverted. */
const protocol = fc.oneof(
  multiport.map((args) => ({ args, oracleArgs: args })),
  l4,
  fc.constantFrom('-p icmp', '! -p tcp', '-p udp').map((args) => ({ args, oracleArgs: args })),
);
const iface = fc.constantFrom('eth0', 'eth1', 'br+', 'veth-a', 'lo', 'x');

/** A filter rule of these matches (each at most once, in a random order) and a verdict. */
export const filterRule = fc
  .tuple(
    fc.tuple(fc.option(fc.tuple(not, cidr)), fc.option(fc.tuple(not, cidr))),
    fc.tuple(fc.option(fc.tuple(not, iface)), fc.option(fc.tuple(not, iface))),
    fc.option(markMatch),
    fc.option(protocol),
    fc.option(addrtype),
    fc.constantFrom('-j ACCEPT', '-j DROP', '-j RETURN', ''),
  )
  .map(([[s, d], [i, o], mark, proto, types, verdict]): Rule => {
    const ip = [
      s ? `${s[0]}-s ${s[1]}` : '',
      d ? `${d[0]}-d ${d[1]}` : '',
      i ? `${i[0]}-i ${i[1]}` : '',
      o ? `${o[0]}-o ${o[1]}` : '',
    ].join(' ');
    const m = mark ? `-m mark ${mark.text}` : '';
    const parts = [ip, proto?.args ?? '', m, types?.args ?? '', verdict];
    const oracle = [ip, proto?.oracleArgs ?? '', m, types?.oracleArgs ?? '', verdict];
    const join = (p: string[]) =>
      p
        .filter((x) => x.trim() !== '')
        .join(' ')
        .replace(/ +/g, ' ');
    return { args: join(parts), oracleArgs: join(oracle) };
  });

/** `-j MARK` in each of its spellings, after an optional mark match. */
export const markRule = fc
  .tuple(
    fc.option(markMatch),
    fc.oneof(
      fc
        .tuple(u32, fc.option(u32))
        .map(([v, m]) => `--set-xmark ${hex(v)}${m === null ? '' : `/${hex(m)}`}`),
      fc
        .tuple(u32, fc.option(u32))
        .map(([v, m]) => `--set-mark ${hex(v)}${m === null ? '' : `/${hex(m)}`}`),
      u32.map((v) => `--and-mark ${hex(v)}`),
      u32.map((v) => `--or-mark ${hex(v)}`),
      u32.map((v) => `--xor-mark ${hex(v)}`),
    ),
  )
  .map(([mark, set]): Rule => ({ args: `${mark ? `-m mark ${mark.text} ` : ''}-j MARK ${set}` }));

/** nft's form of an xt_mark test, for the hand-written oracles. */
const nftMark = (mark: { v: number; m: number; n: boolean } | null) =>
  mark ? `meta mark and ${hex(mark.m)} ${mark.n ? '!=' : '=='} ${hex(mark.v)} ` : '';

/** `-j CT`: xt_CT makes a template with the zone for one direction or both, or untracks. */
export const ctRule = fc
  .tuple(
    fc.option(markMatch),
    fc.oneof(
      fc.constant({ args: '--notrack', nft: 'notrack' }),
      fc.constant({ args: '', nft: 'ct zone set 0' }),
      fc
        .tuple(
          fc.oneof(fc.constantFrom(0, 1, 65535), fc.integer({ min: 0, max: 65535 })),
          fc.constantFrom('', '-orig', '-reply'),
        )
        .map(([zone, dir]) => ({
          args: `--zone${dir} ${zone}`,
          nft: `ct ${{ '': '', '-orig': 'original ', '-reply': 'reply ' }[dir]}zone set ${zone}`,
        })),
    ),
  )
  .map(
    ([mark, ct]): Rule => ({
      args: `${mark ? `-m mark ${mark.text} ` : ''}-j CT ${ct.args}`.trim(),
      nft: [`${nftMark(mark)}${ct.nft}`],
    }),
  );

/** `-m addrtype` with any of the twelve types: xt_addrtype tests bit N of a mask for type N. */
export const addrtypeRule = fc
  .tuple(
    fc.option(fc.tuple(not, fc.subarray(TYPES, { minLength: 1 }))),
    fc.option(fc.tuple(not, fc.subarray(TYPES, { minLength: 1 }))),
  )
  .filter(([s, d]) => s !== null || d !== null)
  .map(([s, d]): Rule => {
    const args: string[] = [];
    const nft: string[] = [];
    for (const [side, key, flag] of [
      [s, 'saddr', 'src'],
      [d, 'daddr', 'dst'],
    ] as const) {
      if (!side) continue;
      args.push(`${side[0]}--${flag}-type ${side[1].join(',')}`);
      const names = side[1].map((t) => {
        const n = TYPES.indexOf(t);
        return n < NAMED ? t.toLowerCase() : `${n}`;
      });
      nft.push(`fib ${key} type ${side[0] ? '!= ' : ''}{ ${names.join(', ')} }`);
    }
    return { args: `-m addrtype ${args.join(' ')}`, nft: [nft.join(' ')] };
  });

const ipv4 = fc.integer({ min: 1, max: ALL }).map(octets);
/**
 * `-j TPROXY`: on a transparent socket xt_TPROXY sets mark = (mark & ~M) ^ V and accepts,
 * else drops; a port of 0 is the packet's own, no address the receiving interface's.
 */
export const tproxyRule = fc
  .tuple(
    fc.option(markMatch),
    fc.constantFrom('tcp', 'udp'),
    fc.oneof(fc.constant(0), port),
    fc.option(ipv4),
    fc.option(fc.tuple(u32, fc.option(u32))),
  )
  .map(([mark, proto, p, ip, tmark]): Rule => {
    const [v, m] = tmark ? [tmark[0], tmark[1] ?? ALL] : [0, 0];
    const args = [
      `-p ${proto}`,
      mark ? `-m mark ${mark.text}` : '',
      `-j TPROXY --on-port ${p}`,
      ip ? `--on-ip ${ip}` : '',
      tmark ? `--tproxy-mark ${hex(tmark[0])}${tmark[1] === null ? '' : `/${hex(tmark[1])}`}` : '',
    ];
    const matches = `ip protocol ${proto} ${nftMark(mark)}`;
    const to = ip ? `tproxy ip to ${ip}${p ? `:${p}` : ''}` : `tproxy to :${p}`;
    const set = `meta mark set meta mark and ${hex(~m >>> 0)} xor ${hex(v)}`;
    return {
      args: args.filter((a) => a !== '').join(' '),
      nft: [`${matches}${to} ${set} accept`, `${matches}drop`],
    };
  });
