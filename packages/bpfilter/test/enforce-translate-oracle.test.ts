/**
 * The native forms of -m mark, -m multiport, -m addrtype, -j MARK, -j CT and -j TPROXY against
 * an oracle that shares no code with bpfilter: random rules are restored by iptables-legacy
 * (through a plain `bpfilter serve`), enforced over netlink, and what nft lists for each must
 * mean what nft lists for `iptables-translate`'s form of the same rule (iptables-nft's), read
 * from the same xt structures by iptables' own extensions. iptables-translate 1.8.9 has no form
 * for CT and TPROXY (it prints `nft # ...`): for those the oracle is the nft rule written here
 * from xt_CT's and xt_TPROXY's source. Both listings are compared in one canonical form
 * (counters out, port sets as merged ranges, a mark rewrite as the function it computes), so
 * an equivalent encoding passes and a different meaning fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { which } from './iptables/namespace.js';
import { nodeInNetns } from './enforce/netns-script.js';
import { missingEnforcePrerequisite } from './enforce/twins.js';

function missingOracle(): string | undefined {
  const missing = missingEnforcePrerequisite();
  if (missing) return missing;
  if (!which('iptables-translate')) return 'iptables-translate is not installed (Debian iptables)';
  if (spawnSync('iptables-translate', ['-A', 'INPUT', '-j', 'ACCEPT']).status !== 0)
    return 'iptables-translate does not run';
  return undefined;
}
const missing = missingOracle();
if (missing && process.env.CI === 'true') throw new Error(`oracle tests cannot run: ${missing}`);

const SCRIPT = fileURLToPath(new URL('./enforce/translate-oracle.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bpfilter-oracle-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One rule: its iptables arguments, and the oracle's (other arguments, or nft rules). */
interface Rule {
  args: string;
  oracleArgs?: string;
  nft?: string[];
}
interface Case {
  table: 'filter' | 'mangle' | 'raw';
  rules: Rule[];
}
type Expr = Record<string, unknown>;
interface Result {
  bpfilter: Record<string, Expr[][] | null> | { error: string };
  oracle: Record<string, Expr[][] | null>;
  translated: Record<string, string[] | null>;
}

async function run(cases: Case[]): Promise<Result[]> {
  const file = join(dir, `cases-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(cases));
  return JSON.parse(await nodeInNetns(SCRIPT, [file], 120_000));
}

const ALL = 0xffffffff;

/** The value of a mark rewrite's expression for the packet's mark `x`. */
function evaluate(e: unknown, x: number): number {
  if (typeof e === 'number') return e >>> 0;
  const [op, args] = Object.entries(e as Expr)[0]!;
  if (op === 'meta') return x;
  const [a, b] = (args as unknown[]).map((arg) => evaluate(arg, x)) as [number, number];
  if (op === '&') return (a & b) >>> 0;
  if (op === '|') return (a | b) >>> 0;
  if (op === '^') return (a ^ b) >>> 0;
  throw new Error(`no value for ${JSON.stringify(e)}`);
}

/** A set, range or value of numbers as sorted, merged ranges; strings sorted. */
function canonicalRight(right: unknown): unknown {
  const items = (right as Expr)?.set ?? [right];
  if (!Array.isArray(items)) return right;
  if (items.every((i) => typeof i === 'string')) return [...items].sort();
  const ranges = items.map((i) =>
    typeof i === 'number' ? [i, i] : ((i as Expr).range as [number, number] | undefined),
  );
  // Anything else (a mark's prefix form) as nft lists it.
  if (ranges.some((r) => r === undefined)) return right;
  const out: [number, number][] = [];
  for (const [from, to] of (ranges as [number, number][]).sort((a, b) => a[0] - b[0])) {
    const last = out[out.length - 1];
    if (last && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return { ranges: out };
}

/**
 * Address types, sorted. One nft has no name for (RTN_THROW and above) it lists from a set
 * without nft's own metadata (the key's byte order) byte-swapped: 9 as 0x09000000; the
 * elements' bytes are the same (`nft --debug=netlink list` shows 00000009 for both).
 */
function addressTypes(right: unknown): string[] {
  const items = ((right as Expr)?.set ?? [right]) as (string | number)[];
  return items.map((i) => (typeof i === 'number' && i > 0xffffff ? `${i >>> 24}` : `${i}`)).sort();
}

/**
 * One statement in canonical form: `meta mark & 0xffffffff` is `meta mark`; a right side as
 * ranges; a mark rewrite as (its value for mark 0, for mark ~0), which fixes each bit's
 * function; `null` for what changes nothing (counters, the mark written back unchanged).
 */
function canonical(e: Expr): unknown {
  if ('counter' in e) return null;
  const match = e.match as { op: string; left: Expr; right: unknown } | undefined;
  if (match) {
    let left: unknown = match.left;
    const and = match.left['&'] as [unknown, unknown] | undefined;
    if (and && and[1] === ALL) left = and[0];
    const op = match.op === 'in' ? '==' : match.op;
    const right = 'fib' in match.left ? addressTypes(match.right) : canonicalRight(match.right);
    return { match: { op, left, right } };
  }
  const mangle = e.mangle as { key: Expr; value: unknown } | undefined;
  if (mangle && JSON.stringify(mangle.key) === '{"meta":{"key":"mark"}}') {
    const [zero, ones] = [evaluate(mangle.value, 0), evaluate(mangle.value, ALL)];
    return zero === 0 && ones === ALL ? null : { markSet: [zero, ones] };
  }
  return e;
}

/**
 * A chain's rules in canonical form, each rule's matches (which commute) sorted; rules left
 * with nothing (a chain's counter) dropped.
 */
function canonicalRules(rules: Expr[][]): unknown[][] {
  return rules
    .map((rule) => {
      const out = rule.map(canonical).filter((e) => e !== null);
      const first = out.findIndex((e) => !('match' in (e as Expr)));
      const matches = out.slice(0, first === -1 ? out.length : first);
      matches.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
      return [...matches, ...out.slice(matches.length)];
    })
    .filter((rule) => rule.length > 0);
}

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
const filterRule = fc
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
const markRule = fc
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
const ctRule = fc
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
const addrtypeRule = fc
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
const tproxyRule = fc
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

/** The first difference between bpfilter's chains and the oracle's, with the rule's text. */
function differences(cases: Case[], results: Result[]): { compared: number; diffs: string[] } {
  let compared = 0;
  const diffs: string[] = [];
  results.forEach((result, c) => {
    const rules = cases[c]!.rules;
    if ('error' in result.bpfilter) {
      diffs.push(
        `${cases[c]!.table}: ${result.bpfilter.error as string}\n${JSON.stringify(rules)}`,
      );
      return;
    }
    for (const [chain, oracle] of Object.entries(result.oracle)) {
      const mine = (result.bpfilter as Record<string, Expr[][] | null>)[chain];
      const rule = rules[Number(chain.slice(1))]!;
      // No form to compare with, or the kernel's own xt module (nft_compat) runs it.
      if (oracle === null || mine === null || JSON.stringify(mine).includes('{"xt":')) continue;
      compared++;
      const [a, b] = [canonicalRules(mine!), canonicalRules(oracle)];
      if (JSON.stringify(a) !== JSON.stringify(b))
        diffs.push(
          `-t ${cases[c]!.table} ${rule.args}\n  oracle: ${result.translated[chain]}\n  bpfilter: ${JSON.stringify(a)}\n  oracle:   ${JSON.stringify(b)}`,
        );
    }
  });
  return { compared, diffs };
}

/** Every rule of `cases` compared (none left to nft_compat), and none differs in meaning. */
async function expectSameMeaning(cases: Case[]): Promise<void> {
  const { compared, diffs } = differences(cases, await run(cases));
  expect(diffs).toEqual([]);
  expect(compared).toBe(cases.reduce((n, c) => n + c.rules.length, 0));
}

describe.skipIf(missing !== undefined)('native forms against iptables-translate', () => {
  it('mean what iptables-nft installs for random rules of addresses, ports, marks, port lists, address types, MARK', async () => {
    await expectSameMeaning([
      { table: 'filter', rules: fc.sample(filterRule, 60) },
      { table: 'mangle', rules: fc.sample(markRule, 25) },
    ]);
  }, 120_000);

  it('mean what xt_CT, xt_TPROXY and xt_addrtype do for random -j CT, -j TPROXY, -m addrtype', async () => {
    await expectSameMeaning([
      { table: 'raw', rules: fc.sample(ctRule, 15) },
      { table: 'mangle', rules: fc.sample(tproxyRule, 15) },
      { table: 'filter', rules: fc.sample(addrtypeRule, 15) },
    ]);
  }, 120_000);

  it('enforces entries iptables never writes as the kernel reads them, or refuses them', async () => {
    const script = fileURLToPath(new URL('./enforce/steering-attacks.mjs', import.meta.url));
    const stdout = await nodeInNetns(script, [], 60_000);
    const [alias, r1, r2, r3, ...inverts] = JSON.parse(stdout) as {
      what: string;
      error?: { code: string; isEnforcementError: boolean; message: string };
      kept: boolean;
      listing: string;
      /** The xt modules nft's JSON names (its text shows those it can translate in its words). */
      xt: string[];
    }[];
    // xt_CT untracks on XT_CT_NOTRACK only: the alias bit alone is a template of zone 7.
    expect(alias!.error).toBeUndefined();
    expect(alias!.listing).toContain('ct zone set 7');
    expect(alias!.listing).not.toContain('notrack');
    // Ranges xt_multiport would read past the count or upside down: the handler refuses them
    // as Linux 6.x's multiport_mt_check does (EINVAL), before anything reaches nf_tables; the
    // table in force is kept.
    for (const attempt of [r1!, r2!, r3!]) {
      expect(attempt.error, attempt.what).toMatchObject({
        code: 'UMD_HANDLER_ERROR',
        isEnforcementError: false,
      });
      expect(attempt.error!.message, attempt.what).toContain('EINVAL');
      expect(attempt.kept, attempt.what).toBe(true);
    }
    // An invert byte above 1 makes xt_mark and xt_multiport match every packet: the
    // kernel's module runs it (nft_compat), not an inverted native test.
    expect(inverts.map((attempt) => [attempt.what, attempt.error, attempt.xt])).toEqual([
      ['multiport invert byte 2', undefined, ['multiport']],
      ['mark invert byte 2', undefined, ['mark']],
    ]);
  }, 60_000);
});
