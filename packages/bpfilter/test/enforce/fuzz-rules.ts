/**
 * Random tables for the enforcement fuzz (enforce-fuzz.test.ts), built to reach every form
 * of the enforced layout (src/enforce/table-layout.ts): runs of 8 and more rules of one key
 * shape (exact addresses, prefixes, ports, port ranges, interface names and `+` wildcards,
 * a protocol), their keys mostly distinct but sometimes repeated or overlapping, with one
 * target for all or each its own (verdicts, jumps and gotos to user chains, RETURN, REJECT,
 * no target, LOG, MARK); runs of ACCEPT and DROP rules of several shapes (segments); `!`
 * inversions and lone rules of other shapes between them; conntrack state, multiport, ipset
 * and mark matches (fuzz-matches.ts) on some rules, on all of a run, or as a run's shape;
 * marks written in mangle. Values (fuzz-values.ts) come mostly from decoys (hosts and nets no
 * packet has) and sometimes from the twins' own addresses, ports and interfaces, so that the
 * probes (fuzz-probes.ts) meet the rules.
 */
import fc from 'fast-check';
import { type Extra, extraKinds, extraOf, extraWords } from './fuzz-matches.js';
import { host, inName, net, portOf, range, wildcard } from './fuzz-values.js';

/** One rule as fields (a probe can be aimed at it) and the chain it is in. */
export interface FuzzRule {
  chain: string;
  proto?: 'tcp' | 'udp' | 'icmp';
  /** An address or a prefix (`A/N`). */
  src?: string;
  dst?: string;
  /** A port or a range (`A:B`). */
  sport?: string;
  dport?: string;
  iif?: string;
  oif?: string;
  /** The one field the rule inverts (`!`). */
  not?: 'src' | 'dst' | 'iif' | 'oif' | 'dport' | 'proto';
  /** `-m mark --mark` */
  mark?: number;
  /** Matches beside the fields: conntrack state, multiport, ipsets, marks with masks. */
  extras?: Extra[];
  /** The target's words (`-j DROP`, `-g u1`, ...), '' for none. */
  target: string;
}

const REJECT_WITH = [
  'icmp-port-unreachable',
  'icmp-host-prohibited',
  'icmp-net-unreachable',
  'icmp-admin-prohibited',
  'tcp-reset',
];
const INVERTED = ['src', 'dst', 'iif', 'oif', 'dport', 'proto'] as const;
/** A mark written whole: a map of marks can hold it. */
const markTarget = fc
  .integer({ min: 1, max: 6 })
  .map((m) => `-j MARK --set-xmark 0x${m}/0xffffffff`);
/** Marks written in part (mangle's, for filter's `-m mark` with a mask). */
const markBits = fc
  .tuple(fc.constantFrom('--set-xmark', '--or-mark', '--and-mark', '--xor-mark'), fc.nat(7))
  .map(([op, v]) => `-j MARK ${op} 0x${v}${op === '--set-xmark' ? '/0x3' : ''}`);

/** What a table's rules are drawn with: its user chains, source ports and marks. */
export interface TableContext {
  table: 'filter' | 'mangle' | 'nat';
  users: string[];
  /** The source ports of this table's probes (new per table: no old conntrack entry has them). */
  sports: number[];
}

type Fields = Omit<FuzzRule, 'chain' | 'target'>;
const proto = fc.constantFrom('tcp' as const, 'udp' as const);

/** The key shapes of a run: each draws one member's fields. */
function shapes(
  ctx: TableContext,
  p: 'tcp' | 'udp',
  q: 'tcp' | 'udp' | 'icmp',
): Record<string, fc.Arbitrary<Fields>> {
  // One protocol a run (it is part of a key's shape): `p` for ports, `q` for the rest.
  const port = portOf(p, ctx.sports).map(String);
  const tp = fc.constant(p);
  const tq = fc.constant(q);
  return {
    src: fc.record({ src: host }),
    dst: fc.record({ dst: host }),
    srcdst: fc.record({ src: host, dst: host }),
    srcproto: fc.record({ src: host, proto: tq }),
    dport: fc.record({ proto: tp, dport: port }),
    sport: fc.record({ proto: tp, sport: port }),
    srcdport: fc.record({ src: host, proto: tp, dport: port }),
    iif: fc.record({ iif: inName }),
    oif: fc.record({ oif: inName }),
    iifsrc: fc.record({ iif: inName, src: host }),
    srcnet: fc.record({ src: net }),
    dstnet: fc.record({ dst: net }),
    netdports: fc.record({ src: net, proto: tp, dport: range }),
    dports: fc.record({ proto: tp, dport: range }),
    sports: fc.record({ proto: tp, sport: range }),
    wild: fc.record({ iif: wildcard, proto: tq }),
    mark: fc.record({ mark: fc.integer({ min: 1, max: 6 }) }),
    proto: fc.record({ proto: fc.constantFrom('tcp', 'udp', 'icmp') }),
    // Runs of rules with a match beside (or instead of) their fields: never a key.
    ...Object.fromEntries(
      Object.entries(extraKinds(ctx.sports)).map(([kind, extra]) => [
        kind,
        fc.record({ src: host, extras: fc.tuple(extra) }, { requiredKeys: ['extras'] }),
      ]),
    ),
  };
}
const SHAPES = Object.keys(shapes({ table: 'filter', users: [], sports: [1] }, 'tcp', 'tcp'));

/** A target `chain` may have: verdicts, jumps and gotos to later user chains, statements. */
function target(chain: string, ctx: TableContext, statements: boolean): fc.Arbitrary<string> {
  const later = ctx.users.slice(ctx.users.indexOf(chain) + 1);
  // nat has no DROP (iptables refuses it there), only filter has REJECT.
  const verdicts: fc.Arbitrary<string>[] =
    ctx.table === 'nat'
      ? [fc.constantFrom('-j ACCEPT', '-j RETURN')]
      : [fc.constantFrom('-j ACCEPT', '-j DROP', '-j DROP', '-j RETURN')];
  if (ctx.table === 'filter')
    verdicts.push(fc.constantFrom(...REJECT_WITH).map((w) => `-j REJECT --reject-with ${w}`));
  if (later.length > 0)
    verdicts.push(
      fc.tuple(fc.constantFrom('-j', '-g'), fc.constantFrom(...later)).map((t) => t.join(' ')),
    );
  const stated: fc.Arbitrary<string>[] = [
    fc.constant(''),
    fc.constant('-j LOG --log-prefix "fz: "'),
  ];
  if (ctx.table !== 'nat') stated.push(markTarget);
  if (ctx.table === 'mangle') stated.push(markBits);
  return fc.oneof(...verdicts, ...(statements ? stated : []));
}

/**
 * One run of `chain`: `length` rules of one shape (or, `mixed`, of a few shapes with ACCEPT
 * and DROP: a segment), one target for all or each its own, sometimes an inversion.
 */
function run(chain: string, ctx: TableContext): fc.Arbitrary<FuzzRule[]> {
  return fc
    .tuple(proto, fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const))
    .chain(([p, q]) => runOf(chain, ctx, shapes(ctx, p, q)));
}

function runOf(
  chain: string,
  ctx: TableContext,
  all: Record<string, fc.Arbitrary<Fields>>,
): fc.Arbitrary<FuzzRule[]> {
  const names = SHAPES;
  const extra = extraOf(ctx.sports);
  const length = fc.oneof(
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) },
    { weight: 2, arbitrary: fc.integer({ min: 8, max: 24 }) },
  );
  const plain = fc
    .record({
      shape: fc.constantFrom(...names),
      // One target for all (a map's elements or a counted set), each its own, or each a mark
      // of its own (a map of marks; mangle's and filter's marks alike).
      targets: fc.constantFrom('same', 'same', 'each', 'marks'),
      one: target(chain, ctx, true),
      length,
      // Sometimes one match beside every member's fields (the run is then no group).
      common: rarely(extra, 8),
    })
    .chain(({ shape, targets, one, length, common }) =>
      fc.array(
        fc.record({
          fields: all[shape]!,
          target:
            targets === 'same'
              ? fc.constant(one)
              : targets === 'marks' && ctx.table !== 'nat'
                ? markTarget
                : target(chain, ctx, true),
          // One rule in ten or so inverts a field (it then stops the group it stands in).
          not: fc.oneof(
            { weight: 10, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.constantFrom(...INVERTED) },
          ),
          // One rule in eight or so has a match beside its fields (it stops its group too).
          extra: common ? fc.constant(common) : rarely(extra, 8),
        }),
        { minLength: length, maxLength: length },
      ),
    );
  const exact = ['src', 'dst', 'srcdst', 'dport', 'srcdport', 'iif', 'iifsrc'];
  const mixed = fc.subarray(exact, { minLength: 2, maxLength: 4 }).chain((picked) =>
    fc.array(
      fc.record({
        fields: fc.oneof(...picked.map((s) => all[s]!)),
        target: fc.constantFrom('-j ACCEPT', ctx.table === 'nat' ? '-j ACCEPT' : '-j DROP'),
        not: fc.constant(undefined),
        extra: rarely(extra, 16),
      }),
      { minLength: 8, maxLength: 30 },
    ),
  );
  return fc.oneof({ weight: 3, arbitrary: plain }, { weight: 1, arbitrary: mixed }).map((members) =>
    members.map(({ fields, target, not, extra }) =>
      fitted(chain, {
        ...fields,
        target,
        not,
        extras: [...(fields.extras ?? []), ...(extra ? [extra] : [])],
      }),
    ),
  );
}

/** Rule `r` as iptables accepts it in `chain`: no -o on the way in, -i on the way out; valid `!`. */
function fitted(chain: string, r: Omit<FuzzRule, 'chain'>): FuzzRule {
  const rule: FuzzRule = { ...r, chain };
  const incoming = chain === 'INPUT' || chain === 'PREROUTING';
  const outgoing = chain === 'OUTPUT' || chain === 'POSTROUTING';
  if (incoming && rule.oif !== undefined) [rule.iif, rule.oif] = [rule.oif, undefined];
  if (outgoing && rule.iif !== undefined) [rule.oif, rule.iif] = [rule.iif, undefined];
  if (rule.iif === undefined) delete rule.iif;
  if (rule.oif === undefined) delete rule.oif;
  const not = rule.not;
  const has = not === 'iif' || not === 'oif' ? rule[not] : not && rule[not];
  // `! -i +` is refused by name (no packet could match it): never drawn.
  if (not === undefined || has === undefined || has === '+') delete rule.not;
  if (rule.not === 'proto') {
    delete rule.sport;
    delete rule.dport;
  }
  // multiport needs `-p tcp` or `-p udp`, not inverted: the rule gets one if it has none.
  const ported = rule.not !== 'proto' && rule.proto !== 'icmp';
  rule.extras = rule.extras?.filter((e) => e.m !== 'multiport' || ported);
  const multiport = rule.extras?.find((e) => e.m === 'multiport');
  if (multiport && rule.proto === undefined) rule.proto = multiport.proto;
  if (!rule.extras?.length) delete rule.extras;
  if (rule.target.includes('tcp-reset') && (rule.proto !== 'tcp' || rule.not === 'proto'))
    rule.target = '-j DROP';
  return rule;
}

/** `arb` one time in `n` or so, else undefined. */
const rarely = <T>(arb: fc.Arbitrary<T>, n: number) =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arb });

/** A chain's rules: a few runs. */
export function chainRules(chain: string, ctx: TableContext, maxRuns: number) {
  return fc.array(run(chain, ctx), { minLength: 1, maxLength: maxRuns }).map((runs) => runs.flat());
}

/** `r` as an iptables-restore line. */
export function ruleLine(r: FuzzRule): string {
  const words = [`-A ${r.chain}`];
  const neg = (field: FuzzRule['not']) => (r.not === field ? '! ' : '');
  if (r.iif !== undefined) words.push(`${neg('iif')}-i ${r.iif}`);
  if (r.oif !== undefined) words.push(`${neg('oif')}-o ${r.oif}`);
  if (r.src !== undefined) words.push(`${neg('src')}-s ${r.src}`);
  if (r.dst !== undefined) words.push(`${neg('dst')}-d ${r.dst}`);
  if (r.proto !== undefined) {
    // An inverted protocol cannot carry port matches: the ports go with it.
    if (r.not === 'proto') words.push(`! -p ${r.proto}`);
    else {
      words.push(`-p ${r.proto}`);
      if (r.sport !== undefined || r.dport !== undefined) words.push(`-m ${r.proto}`);
      if (r.sport !== undefined) words.push(`--sport ${r.sport}`);
      if (r.dport !== undefined) words.push(`${neg('dport')}--dport ${r.dport}`);
    }
  }
  if (r.mark !== undefined) words.push(`-m mark --mark 0x${r.mark}`);
  for (const e of r.extras ?? []) words.push(extraWords(e));
  if (r.target !== '') words.push(r.target);
  return words.join(' ');
}
