/**
 * The probes of a fuzzed table (fuzz-rules.ts) and the tables themselves as iptables-restore
 * text. A probe is drawn at random among the twins' paths (C, S and F to each other's
 * addresses: TCP connects and UDP datagrams to the peers' ports, from a chosen source port
 * or not, ICMP echo), or aimed at a rule: a path whose first packet has the rule's fields,
 * found by a rough reading of the rule (it only steers the draw; the twins judge).
 */
import fc from 'fast-check';
import { extraMeets, type Packet } from './fuzz-matches.js';
import { chainRules, type FuzzRule, ruleLine, type TableContext } from './fuzz-rules.js';
import { EPHEMERAL, inNet, TCP_PORTS, UDP_PORTS } from './fuzz-values.js';
import { chains, filter, type Probe } from './scenario-parts.js';
import { mangleTable, natTable, rawTable } from './save-tables.js';
import { C, F, F2, S } from './topology.js';
import type { Node } from './twins.js';

/** The first packet of a probe as a rule sees it: addresses, interfaces, the chains it walks. */
interface Path {
  from: Node;
  host: string;
  src: string;
  iif: string;
  oif: string;
  chains: string[];
}

const PATHS: Path[] = [
  ...[F, F2].map(
    (host): Path => ({
      from: 'C',
      host,
      src: C,
      iif: 'fc',
      oif: '',
      chains: ['PREROUTING', 'INPUT'],
    }),
  ),
  {
    from: 'C',
    host: S,
    src: C,
    iif: 'fc',
    oif: 'fs',
    chains: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
  },
  ...[F2, F].map(
    (host): Path => ({
      from: 'S',
      host,
      src: S,
      iif: 'fs',
      oif: '',
      chains: ['PREROUTING', 'INPUT'],
    }),
  ),
  {
    from: 'S',
    host: C,
    src: S,
    iif: 'fs',
    oif: 'fc',
    chains: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
  },
  { from: 'F', host: C, src: F, iif: '', oif: 'fc', chains: ['OUTPUT', 'POSTROUTING'] },
  { from: 'F', host: S, src: F2, iif: '', oif: 'fs', chains: ['OUTPUT', 'POSTROUTING'] },
  { from: 'F', host: F2, src: F2, iif: 'lo', oif: 'lo', chains: ['OUTPUT', 'INPUT'] },
];

/** The ports nat rules translate (fuzzTable's NAT_RULES): nobody listens on them untranslated. */
const NAT_TCP = [7000, 7001];
const NAT_UDP = [7053];
/** A port nobody listens on nor translates: a datagram to it gets an ICMP error (RELATED). */
const CLOSED_UDP = 9;
/**
 * A TCP port C and S send to with SYN and FIN both set (their own nft rewrites the flags:
 * {@link INVALID_FLAGS}), which conntrack deems INVALID, as it does the RST that answers it.
 */
export const INVALID_TCP = 9999;
/** The nft rules, for C and S, that make their connects to {@link INVALID_TCP} INVALID at F. */
export const INVALID_FLAGS = [
  'nft add table ip fuzz-invalid',
  `nft add chain ip fuzz-invalid out '{ type filter hook output priority 0; }'`,
  `nft add rule ip fuzz-invalid out tcp dport ${INVALID_TCP} tcp flags set syn,fin`,
].join('; ');

/** Every probe a table may send (`sport` aside): each path with each kind and port. */
function candidates(nat: boolean): (Probe & { path: Path })[] {
  const tcp = nat ? [...TCP_PORTS, ...NAT_TCP] : [...TCP_PORTS, 7000];
  const udp = nat ? [...UDP_PORTS, ...NAT_UDP, CLOSED_UDP] : [...UDP_PORTS, 7053, CLOSED_UDP];
  return PATHS.flatMap((path) => [
    { from: path.from, kind: 'ping' as const, host: path.host, expect: '', path },
    ...tcp.map((port) => ({
      from: path.from,
      kind: 'tcp' as const,
      host: path.host,
      port,
      expect: '',
      path,
    })),
    ...udp.map((port) => ({
      from: path.from,
      kind: 'udp' as const,
      host: path.host,
      port,
      expect: '',
      path,
    })),
    ...(path.from === 'F'
      ? []
      : [
          {
            from: path.from,
            kind: 'tcp' as const,
            host: path.host,
            port: INVALID_TCP,
            expect: '',
            path,
          },
        ]),
  ]);
}

const ifaceMatches = (pattern: string, name: string) =>
  pattern.endsWith('+') ? name !== '' && name.startsWith(pattern.slice(0, -1)) : pattern === name;
/** Whether `port` is in `range`; a port the kernel picks is an ephemeral one (fuzz-values.ts). */
function inRange(port: number | undefined, range: string): boolean {
  const [low, high = low] = range.split(':').map(Number);
  const p = port ?? EPHEMERAL.min;
  return p >= low! && p <= high!;
}

/** A packet of a probe where F sees it: its path, fields and conntrack state. */
type Seen = Packet & Pick<Path, 'iif' | 'oif' | 'chains'>;

/** The chains a reply walks, by the chains its probe's first packet walked. */
function replyChains(chains: string[]): string[] {
  if (chains.includes('FORWARD') || chains.includes('OUTPUT') === chains.includes('INPUT'))
    return chains;
  return chains.includes('INPUT') ? ['OUTPUT', 'POSTROUTING'] : ['PREROUTING', 'INPUT'];
}

/**
 * The first packet of probe `p` (from source port `sport`), and its answer: the reply, or for
 * a datagram to a closed port the ICMP error, each with the mark `mangle`'s rules leave on it;
 * both INVALID for a connect to {@link INVALID_TCP}.
 */
function packets(p: Probe & { path: Path }, sport: number | undefined, mangle: FuzzRule[]): Seen[] {
  const { path } = p;
  const proto = p.kind === 'ping' ? 'icmp' : p.kind;
  const ports = proto === 'icmp' ? {} : { sport, dport: p.port };
  const invalid = p.kind === 'tcp' && p.port === INVALID_TCP;
  const first: Seen = {
    ...path,
    dst: p.host,
    proto,
    ...ports,
    state: invalid ? 'INVALID' : 'NEW',
    mark: 0,
  };
  const back = {
    src: p.host,
    dst: path.src,
    iif: path.oif,
    oif: path.iif,
    chains: replyChains(path.chains),
    mark: 0,
  };
  const answer: Seen =
    p.kind === 'udp' && p.port === CLOSED_UDP
      ? { ...back, proto: 'icmp', state: 'RELATED' }
      : {
          ...back,
          proto,
          ...(proto === 'icmp' ? {} : { sport: p.port, dport: sport }),
          state: invalid ? 'INVALID' : 'ESTABLISHED',
        };
  return [first, answer].map((s) => ({ ...s, mark: markOf(s, mangle) }));
}

/** The mark `target` (a `-j MARK` rule's words) leaves on a packet marked `mark`. */
function marked(target: string, mark: number): number {
  const m =
    /^-j MARK --(set-xmark|or-mark|and-mark|xor-mark) (0x[0-9a-f]+)(?:\/(0x[0-9a-f]+))?$/.exec(
      target,
    );
  if (m === null) return mark;
  const value = Number(m[2]);
  if (m[1] === 'or-mark') return (mark | value) >>> 0;
  if (m[1] === 'and-mark') return (mark & value) >>> 0;
  if (m[1] === 'xor-mark') return (mark ^ value) >>> 0;
  return ((mark & ~Number(m[3])) ^ value) >>> 0;
}

/** The mark `s` leaves mangle's first chain it walks with (PREROUTING or OUTPUT), from 0. */
function markOf(s: Seen, mangle: FuzzRule[]): number {
  let mark = 0;
  for (const r of mangle) {
    if (r.chain !== s.chains[0] || !meetsPacket(r, { ...s, mark })) continue;
    if (/^-j (ACCEPT|DROP|RETURN)/.test(r.target)) break;
    mark = marked(r.target, mark);
  }
  return mark;
}

/** Whether packet `s` may match rule `r`. */
function meetsPacket(r: FuzzRule, s: Seen): boolean {
  const builtin = r.chain.toUpperCase() === r.chain;
  const tests: [FuzzRule['not'], boolean | undefined][] = [
    ['src', r.src === undefined ? undefined : inNet(s.src, r.src)],
    ['dst', r.dst === undefined ? undefined : inNet(s.dst, r.dst)],
    ['iif', r.iif === undefined ? undefined : ifaceMatches(r.iif, s.iif)],
    ['oif', r.oif === undefined ? undefined : ifaceMatches(r.oif, s.oif)],
    ['proto', r.proto === undefined ? undefined : r.proto === s.proto],
    ['dport', r.dport === undefined ? undefined : inRange(s.dport, r.dport)],
  ];
  if (r.sport !== undefined && !inRange(s.sport, r.sport)) return false;
  if (r.mark !== undefined && r.mark !== s.mark) return false;
  if (builtin && !s.chains.includes(r.chain)) return false;
  if (!(r.extras ?? []).every((e) => extraMeets(e, s))) return false;
  return tests.every(([field, ok]) => ok === undefined || ok !== (r.not === field));
}

/** Whether the first packet of probe `p` (from source port `sport`), or its answer, may match rule `r`. */
const meets = (
  r: FuzzRule,
  p: Probe & { path: Path },
  sport: number | undefined,
  mangle: FuzzRule[],
) => packets(p, sport, mangle).some((s) => meetsPacket(r, s));

/**
 * The probes (of `all`, a table's candidates) whose first packet or answer may match rule `r`,
 * sent from source port `sport`; `mangle`: the rules whose marks the packets carry.
 */
export function aimedAt(
  r: FuzzRule,
  all: readonly (Probe & { path: Path })[],
  sport: number | undefined,
  mangle: FuzzRule[],
): (Probe & { path: Path })[] {
  return all.filter((c) => meets(r, c, sport, mangle));
}

/** Every probe a table may send (`nat`: with the nat table's rules). */
export const probeCandidates = (nat: boolean) => candidates(nat);

/** One drawn probe: aimed at rule `aim` (an index into the rules) or candidate `pick`. */
const drawn = fc.record({
  aim: fc.boolean(),
  index: fc.nat(),
  sport: fc.option(fc.nat(2), { nil: undefined }),
});

/**
 * The probes of a table: half of them aimed at its rules (`mangle`: those of the mangle table,
 * whose marks the aim follows), source ports unique per kind and node.
 */
export function probesFor(
  rules: FuzzRule[],
  ctx: TableContext,
  nat: boolean,
  mangle: FuzzRule[] = [],
) {
  const all = candidates(nat);
  return fc.array(drawn, { minLength: 6, maxLength: 20 }).map((draws) => {
    const used = new Set<string>();
    return draws.map(({ aim, index, sport: which }): Probe => {
      let sport = which === undefined ? undefined : ctx.sports[which];
      let probe = all[index % all.length]!;
      if (aim && rules.length > 0) {
        const rule = rules[index % rules.length]!;
        const wanted =
          rule.sport !== undefined ? ctx.sports.find((s) => inRange(s, rule.sport!)) : sport;
        const hits = aimedAt(rule, all, wanted, mangle);
        if (hits.length > 0) {
          probe = hits[index % hits.length]!;
          sport = wanted;
        }
      }
      if (probe.kind === 'ping') sport = undefined;
      // Two probes of one kind from one node and port would collide in bind().
      if (sport !== undefined && used.has(`${probe.from} ${probe.kind} ${sport}`))
        sport = undefined;
      if (sport !== undefined) used.add(`${probe.from} ${probe.kind} ${sport}`);
      const { path: _, ...rest } = probe;
      return sport === undefined ? rest : { ...rest, sport };
    });
  });
}

/** nat rules a table may have (sometimes): DNAT and REDIRECT of the NAT_ ports, SNAT, MASQUERADE. */
const NAT_RULES = [
  '-A PREROUTING -i fc -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.2.0.2:8080',
  '-A PREROUTING -p tcp -m tcp --dport 7001 -j REDIRECT --to-ports 80',
  '-A PREROUTING -i fc -p udp -m udp --dport 7053 -j DNAT --to-destination 10.2.0.2:53',
  '-A OUTPUT -p udp -m udp --dport 7053 -j DNAT --to-destination 10.1.0.2:5353',
  '-A POSTROUTING -o fs -p tcp -m tcp --dport 8080 -j MASQUERADE',
  '-A POSTROUTING -o fs -p udp -j SNAT --to-source 10.2.0.1',
];

/** A fuzzed case: the restore text of all four tables, its rules, and its probes. */
export interface FuzzCase {
  text: string;
  rules: FuzzRule[];
  probes: Probe[];
}

const policy = fc.constantFrom('ACCEPT', 'ACCEPT', 'ACCEPT', 'DROP');

/** A random case: a filter table, sometimes mangle and nat, and probes aimed at them. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    users: fc.integer({ min: 0, max: 3 }),
    // Below the ephemeral range (32768 on): a probe that binds one must not find it taken by
    // another probe's connect (seed -1257474512: EADDRINUSE in one twin, SYNs in the other).
    sports: fc.uniqueArray(fc.integer({ min: 20000, max: 32767 }), { minLength: 3, maxLength: 3 }),
    policies: fc.tuple(policy, policy, fc.constantFrom('ACCEPT', 'ACCEPT', 'DROP')),
    mangle: fc.boolean(),
    nat: fc.option(fc.subarray(NAT_RULES, { minLength: 1 }), { freq: 2, nil: undefined }),
  })
  .chain(({ users: n, sports, policies, mangle, nat }) => {
    const users = Array.from({ length: n }, (_, i) => `u${i}`);
    const filtered: TableContext = { table: 'filter', users, sports };
    const mangled: TableContext = { table: 'mangle', users: [], sports };
    const natted: TableContext = { table: 'nat', users: [], sports };
    return fc
      .record({
        filter: fc.tuple(
          ...['INPUT', 'FORWARD', 'OUTPUT'].map((c) => chainRules(c, filtered, 4)),
          ...users.map((u) => chainRules(u, filtered, 2)),
        ),
        mangle: mangle
          ? fc
              .tuple(chainRules('PREROUTING', mangled, 2), chainRules('OUTPUT', mangled, 1))
              .map((c) => c.flat())
          : fc.constant<FuzzRule[]>([]),
        nat: nat ? chainRules('PREROUTING', natted, 1) : fc.constant<FuzzRule[]>([]),
      })
      .chain((tables) => {
        const rules = [...tables.filter.flat(), ...tables.mangle, ...tables.nat];
        const heads = ['INPUT', 'FORWARD', 'OUTPUT'].map((c, i) => `:${c} ${policies[i]} [0:0]`);
        const text = [
          rawTable(),
          mangleTable(...tables.mangle.map(ruleLine)),
          natTable(...tables.nat.map(ruleLine), ...(nat ?? [])),
          filter([...heads, chains(...users)].join('\n'), ...tables.filter.flat().map(ruleLine)),
        ].join('');
        return probesFor(rules, filtered, nat !== undefined, tables.mangle).map((probes) => ({
          text,
          rules,
          probes,
        }));
      });
  });
