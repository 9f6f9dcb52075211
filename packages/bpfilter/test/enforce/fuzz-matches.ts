/**
 * The matches the enforcement fuzz adds to its rules (fuzz-rules.ts) beside the header
 * fields: conntrack state (`-m conntrack --ctstate`, `-m state`), `-m multiport`, ipsets
 * (`-m set --match-set`, sets made in F of both twins before the tables: {@link FUZZ_SETS})
 * and `-m mark` (masks, `!`; mangle writes the marks). Each as fields, as iptables-restore
 * words, and as a rough test of whether a packet meets it, which only steers the probes'
 * draw (fuzz-probes.ts; the twins judge).
 */
import fc from 'fast-check';
import type { IpSet } from './client-cases.js';
import { EPHEMERAL, inNet, portOf, range } from './fuzz-values.js';
import { C, F, F2, S } from './topology.js';

export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';

/** A match beside a rule's header fields. */
export type Extra =
  | { m: 'ct'; module: 'conntrack' | 'state'; states: CtState[]; not: boolean }
  /** `proto`: the protocol the rule gets if it has none (multiport needs one). */
  | {
      m: 'multiport';
      proto: 'tcp' | 'udp';
      option: 'dports' | 'sports' | 'ports';
      ports: string[];
      not: boolean;
    }
  | { m: 'set'; name: string; flags: string; nomatch: boolean; not: boolean }
  | { m: 'mark'; value: number; mask?: number; not: boolean };

/**
 * The ipsets of the fuzz: hosts, nets (one with a `nomatch` hole where C is), services
 * (`hash:ip,port`: the peers' listening ports, which replies come from), and an empty one.
 */
export const FUZZ_SETS: IpSet[] = [
  { name: 'fz-hosts', type: 'hash:ip', members: [C, '10.9.0.7', '10.9.1.9'] },
  { name: 'fz-servers', type: 'hash:ip', members: [S, F2, '10.9.2.1'] },
  { name: 'fz-nets', type: 'hash:net', members: ['10.1.0.0/24', '192.168.7.0/24', `${C} nomatch`] },
  { name: 'fz-far', type: 'hash:net', members: ['10.2.0.0/30', '172.20.0.0/16'] },
  {
    name: 'fz-services',
    type: 'hash:ip,port',
    members: [
      `${S},tcp:80`,
      `${S},udp:53`,
      `${F},tcp:8080`,
      `${F},udp:5353`,
      `${F2},tcp:22`,
      `${C},tcp:9000`,
    ],
  },
  { name: 'fz-empty', type: 'hash:ip', members: [] },
];

/** One in `n` or so. */
const sometimes = (n: number) =>
  fc.oneof(
    { weight: n - 1, arbitrary: fc.constant(false) },
    { weight: 1, arbitrary: fc.constant(true) },
  );

const STATES: CtState[] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED'];
const ct: fc.Arbitrary<Extra> = fc
  .record({
    module: fc.constantFrom('conntrack' as const, 'conntrack' as const, 'state' as const),
    states: fc.subarray(STATES, { minLength: 1, maxLength: 3 }),
    nat: fc.oneof(
      { weight: 6, arbitrary: fc.constant<CtState[]>([]) },
      { weight: 1, arbitrary: fc.subarray<CtState>(['SNAT', 'DNAT'], { minLength: 1 }) },
    ),
    not: sometimes(4),
  })
  // -m state has no SNAT or DNAT.
  .map(({ module, states, nat, not }) => ({
    m: 'ct' as const,
    module,
    states: module === 'state' ? states : [...states, ...nat],
    not,
  }));

/** Up to 14 ports (a range takes two), sometimes repeated or overlapping. */
const multiport = (sports: number[]): fc.Arbitrary<Extra> =>
  fc.constantFrom('tcp' as const, 'udp' as const).chain((proto) =>
    fc.record({
      m: fc.constant('multiport' as const),
      proto: fc.constant(proto),
      option: fc.constantFrom(
        'dports' as const,
        'dports' as const,
        'sports' as const,
        'ports' as const,
      ),
      ports: fc.array(
        fc.oneof(
          { weight: 3, arbitrary: portOf(proto, sports).map(String) },
          // libxt_multiport refuses a range `A:A` (its ends must differ): that is port A.
          { weight: 1, arbitrary: range.map((r) => r.replace(/^(\d+):\1$/, '$1')) },
        ),
        { minLength: 1, maxLength: 7 },
      ),
      not: sometimes(5),
    }),
  );

/** The direction flags a set of `dims` dimensions is drawn with (sometimes one more or less). */
const FLAGS: Record<number, string[]> = {
  1: ['src', 'dst', 'src', 'dst', 'src,dst'],
  2: ['src,dst', 'dst,dst', 'src,src', 'dst,src', 'dst'],
};
const set: fc.Arbitrary<Extra> = fc.constantFrom(...FUZZ_SETS).chain((s) =>
  fc.record({
    m: fc.constant('set' as const),
    name: fc.constant(s.name),
    flags: fc.constantFrom(...FLAGS[s.type.split(',').length]!),
    nomatch: s.type === 'hash:net' ? sometimes(3) : fc.constant(false),
    not: sometimes(4),
  }),
);

const mark: fc.Arbitrary<Extra> = fc.record(
  {
    m: fc.constant('mark' as const),
    value: fc.integer({ min: 0, max: 6 }),
    mask: fc.constantFrom(0x3, 0x4, 0xf, 0xff),
    not: sometimes(4),
  },
  { requiredKeys: ['m', 'value', 'not'] },
);

/** A match of any kind beside a rule's fields (conntrack state the likeliest, as in real tables). */
export const extraOf = (sports: number[]): fc.Arbitrary<Extra> =>
  fc.oneof(
    { weight: 3, arbitrary: ct },
    { weight: 2, arbitrary: multiport(sports) },
    { weight: 2, arbitrary: set },
    { weight: 1, arbitrary: mark },
  );

/** Kinds of extras for a run's key shape: each member then has one of this kind. */
export const extraKinds = (sports: number[]) => ({
  ct: ct,
  multiport: multiport(sports),
  set,
  markmask: mark,
});

const hex = (n: number) => `0x${n.toString(16)}`;

/** `e` as iptables-restore words. */
export function extraWords(e: Extra): string {
  const not = e.not ? '! ' : '';
  switch (e.m) {
    case 'ct':
      return e.module === 'state'
        ? `-m state ${not}--state ${e.states.join(',')}`
        : `-m conntrack ${not}--ctstate ${e.states.join(',')}`;
    case 'multiport':
      return `-m multiport ${not}--${e.option} ${e.ports.join(',')}`;
    case 'set':
      return `-m set ${not}--match-set ${e.name} ${e.flags}${e.nomatch ? ' --return-nomatch' : ''}`;
    case 'mark':
      return `-m mark ${not}--mark ${hex(e.value)}${e.mask === undefined ? '' : `/${hex(e.mask)}`}`;
  }
}

/** A packet as the rough test sees it. */
export interface Packet {
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp';
  /** Ports; a kernel-chosen one as the first ephemeral port (a range has all of them or none). */
  sport?: number;
  dport?: number;
  /** RELATED: the ICMP error a datagram to a closed port gets; INVALID: fuzz-probes.ts. */
  state: 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID';
  /** The mark mangle's first chain left on it (fuzz-probes.ts follows its MARK rules). */
  mark: number;
}

const inList = (port: number | undefined, list: string[]) =>
  port !== undefined &&
  list.some((item) => {
    const [low, high = low] = item.split(':').map(Number);
    return port >= low! && port <= high!;
  });

/** Whether set `name` holds the packet's fields named by `flags` (nomatch holes: no match). */
function inSet(name: string, flags: string, p: Packet, nomatch: boolean): boolean {
  const s = FUZZ_SETS.find((x) => x.name === name)!;
  const dims = s.type.split(',').length;
  const dirs = flags.split(',');
  if (dirs.length < dims) return false;
  const address = dirs[0] === 'src' ? p.src : p.dst;
  const port = dirs[1] === 'src' ? p.sport : p.dport;
  return s.members.some((member) => {
    const [key, option] = member.split(' ');
    const [ip, service] = key!.split(',');
    const hit = service === undefined || service === `${p.proto}:${port}`;
    const within = s.type === 'hash:net' ? inNet(address, ip!) : ip === address;
    return hit && within && (option !== 'nomatch' || nomatch);
  });
}

/** Whether packet `p` may meet match `e`. */
export function extraMeets(e: Extra, p: Packet): boolean {
  const sport = p.sport ?? EPHEMERAL.min;
  const dport = p.dport ?? EPHEMERAL.min;
  let hit: boolean;
  switch (e.m) {
    case 'ct':
      hit = e.states.includes(p.state);
      break;
    case 'multiport':
      if (p.proto === 'icmp') return false;
      hit =
        (e.option !== 'sports' && inList(dport, e.ports)) ||
        (e.option !== 'dports' && inList(sport, e.ports));
      break;
    case 'set':
      hit = inSet(e.name, e.flags, p, e.nomatch);
      break;
    case 'mark':
      hit = (p.mark & (e.mask ?? 0xffffffff)) >>> 0 === e.value;
      break;
  }
  return hit !== e.not;
}
