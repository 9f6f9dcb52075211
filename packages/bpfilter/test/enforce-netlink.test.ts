/**
 * The netlink back end against nft: each table is applied in a throwaway namespace once
 * through `nft -j -f` and once through the batch helper (with no nft to fall back on, so
 * every transaction must compile), and nft must list the same table both times: the kernel
 * holds the same chains, rules, maps, elements, counters and nat statements. Random tables cover the
 * statements the compiler handles; a table it does not cover still applies, through nft.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonInNetns } from './enforce/netns-script.js';
import {
  COUNTED,
  FIXED,
  INTERVALS,
  LOGGED,
  MAPPED,
  REJECTED,
  MAPPED_LARGE,
  NAT,
  PACKET,
  PACKET_MANGLE,
  RAW,
  SEGMENTED,
  SEGMENTED_LARGE,
  STEERING,
  type TableText,
  TPROXY,
  table,
} from './enforce/netlink-tables.js';
import { enforceSkipReason } from './enforce/prerequisites.js';

const missing = enforceSkipReason();

const SCRIPT = fileURLToPath(new URL('./enforce/native-vs-nft.mjs', import.meta.url));

/** What nft lists for a table applied through nft, and through the batch helper. */
interface Compared {
  nft: unknown;
  netlink: unknown;
}

const compare = (tables: TableText[]) => jsonInNetns<Compared[]>(SCRIPT, tables, 60_000);

describe.skipIf(missing !== undefined)('the netlink back end', () => {
  it('installs what nft installs for marks, port lists, address types, notrack, zones, TPROXY, TCPOPTSTRIP', async () => {
    const results = await compare([
      { iptables: table(STEERING) },
      { iptables: RAW },
      { iptables: TPROXY },
    ]);
    for (const result of results) {
      expect(Array.isArray(result.nft), JSON.stringify(result.nft)).toBe(true);
      expect(result.netlink).toEqual(result.nft);
    }
    const [steering, raw] = results.map((r) => JSON.stringify(r.nft));
    for (const word of ['"set":[22,80,{"range":[1000,2000]}]', '"fib"', '"mark"'])
      expect(steering).toContain(word);
    expect(raw).toContain('"notrack":null');
    expect(raw).toContain('"dir":"reply"');
    expect(JSON.stringify(results[2]!.nft)).toContain('"tproxy":{"addr":"127.0.0.2"}');
    expect(JSON.stringify(results[2]!.nft)).toContain('{"reset":{"tcp option":{"base":200');
  }, 60_000);

  it('installs what nft installs for the nat targets (dnat, snat, masquerade, redirect)', async () => {
    const [nat] = await compare([{ iptables: NAT }]);
    expect(Array.isArray(nat!.nft)).toBe(true);
    expect(nat!.netlink).toEqual(nat!.nft);
    const listed = JSON.stringify(nat!.nft);
    for (const statement of ['"dnat"', '"snat"', '"masquerade"', '"redirect"'])
      expect(listed).toContain(statement);
    for (const flag of ['"random"', '"persistent"', '"fully-random"'])
      expect(listed).toContain(flag);
  }, 60_000);

  it('installs what nft installs for LOG and NFLOG (every option, after -m limit, in counted sets)', async () => {
    const [logged] = await compare([{ iptables: LOGGED }]);
    expect(Array.isArray(logged!.nft), JSON.stringify(logged!.nft)).toBe(true);
    expect(logged!.netlink).toEqual(logged!.nft);
    const listing = (logged!.nft as Record<string, Record<string, unknown>>[][])[0]!;
    const rules = listing.flatMap((item) => (item.rule ? [JSON.stringify(item.rule.expr)] : []));
    // nft lists `level warn`, the default, as no level.
    const logs = rules.flatMap((r) => r.match(/\{"log":(null|\{[^}]*\})\}/g) ?? []);
    expect(logs).toEqual([
      '{"log":null}',
      '{"log":{"prefix":"all: ","level":"debug","flags":"all"}}',
      '{"log":{"level":"emerg","flags":"ip options"}}',
      '{"log":{"prefix":"[UFW BLOCK] "}}',
      '{"log":{"group":100}}',
      '{"log":{"prefix":"x:","group":2,"snaplen":100,"queue-threshold":5}}',
      '{"log":{"prefix":"a b","group":0}}',
      '{"log":{"prefix":"bl: "}}',
      '{"log":null}',
    ]);
    // The hosts logged alike: a counted set and one log statement (INPUT's before its drops,
    // which then are a verdict map: group-rules.ts; web's), as nft wrote them.
    expect(rules).toContain(
      '[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"@cset0"}},{"log":{"prefix":"bl: "}}]',
    );
    expect(rules).toContain(
      '[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"daddr"}},"right":"@cset1"}},{"log":null}]',
    );
    const sets = listing.flatMap((item) => (item.set ? [item.set] : []));
    expect(sets.map((s) => [s.name, (s.elem as unknown[]).length])).toEqual([
      ['cset0', 12],
      ['cset1', 8],
    ]);
    const maps = listing.flatMap((item) => (item.map ? [item.map] : []));
    expect(maps.map((m) => [m.name, m.map, (m.elem as unknown[]).length])).toEqual([
      ['vmap0', 'verdict', 12],
    ]);
  }, 60_000);

  it('installs what nft installs for the packet extensions', async () => {
    const results = await compare([{ iptables: table(PACKET) }, { iptables: PACKET_MANGLE }]);
    for (const result of results) {
      expect(Array.isArray(result.nft)).toBe(true);
      expect(result.netlink).toEqual(result.nft);
    }
    expect(JSON.stringify(results[0]!.nft)).toContain('"limit"');
    expect(JSON.stringify(results[1]!.nft)).toContain('"tcp option"');
    // --ctstate DNAT: the status test, in the rules of both back ends (compared above).
    expect(JSON.stringify(results[0]!.nft)).toContain('{"ct":{"key":"status"}}');
  }, 60_000);

  it('installs what nft installs: each statement the compiler covers, verdict maps, segments', async () => {
    const [fixed, mapped, segmented] = await compare([
      table(FIXED),
      table(MAPPED),
      table(SEGMENTED),
    ]);
    for (const result of [fixed!, mapped!, segmented!]) {
      expect(result.netlink).toEqual(result.nft);
      expect(Array.isArray(result.nft)).toBe(true);
    }
    expect(JSON.stringify(mapped!.nft)).toContain('"map":"verdict"');
    expect(JSON.stringify(segmented!.nft)).toContain(
      '"name":"bpfilter-keyed-rule-segment-0-of-INPUT"',
    );
    expect(JSON.stringify(segmented!.nft)).toContain('"op":"!="');
  }, 60_000);

  it('installs what nft installs for interval maps (prefixes, port ranges, both)', async () => {
    const [intervals] = await compare([table(INTERVALS)]);
    expect(Array.isArray(intervals!.nft), JSON.stringify(intervals!.nft)).toBe(true);
    expect(intervals!.netlink).toEqual(intervals!.nft);
    const listed = JSON.stringify(intervals!.nft);
    expect(listed).toContain('"flags":["interval"]');
    expect(listed).toContain('{"prefix":{"addr":"255.255.255.0","len":24}}');
    expect(listed).toContain(
      '{"concat":[{"prefix":{"addr":"172.16.7.0","len":24}},{"range":[7001,7999]}]}',
    );
    expect(listed).toContain('{"range":[60000,65535]}');
    // Three maps: the overlapping 10.0.0.0/16 stays a rule.
    expect(listed.match(/"map":"verdict"/g)).toHaveLength(3);
    // Each mapped rule is one element with its comment and counter, which its counters are
    // read by (the rbtree's end elements are not listed): all but rule 13.
    type Element = [{ elem?: { comment?: string; counter?: unknown } }, unknown];
    const elements = (intervals!.netlink as { map?: { elem?: Element[] } }[][])[0]!
      .flatMap((item) => item.map?.elem ?? [])
      .map(([key]) => (key.elem?.counter === undefined ? 'no counter' : key.elem.comment));
    const rules = Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => n !== 13);
    expect(elements.sort()).toEqual(rules.map((n) => `rule ${n}`).sort());
  }, 60_000);

  it('installs what nft installs for REJECT rules in verdict maps (a goto to a chain that rejects)', async () => {
    const [rejected] = await compare([table(REJECTED)]);
    expect(Array.isArray(rejected!.nft), JSON.stringify(rejected!.nft)).toBe(true);
    expect(rejected!.netlink).toEqual(rejected!.nft);
    const listed = JSON.stringify(rejected!.nft);
    expect(listed.match(/"map":"verdict"/g)).toHaveLength(2);
    for (const type of ['port', 'proto']) {
      const name = `bpfilter-reject-with-icmp-${type}-unreachable`;
      expect(listed).toContain(`{"goto":{"target":"${name}"}}`);
      expect(listed).toContain(`"chain":"${name}"`);
    }
    expect(listed).toContain('{"goto":{"target":"bpfilter-reject-with-icmp-admin-prohibited"}}');
    expect(listed).toContain('"expr":[{"reject":{"type":"icmp","expr":"prot-unreachable"}}]');
    // The tcp-reset ban stays a rule of its own.
    expect(listed).toContain('{"reject":{"type":"tcp reset"}}');
  }, 60_000);

  it('installs what nft installs for counted sets and maps of marks (no target, MARK; exact keys and prefixes)', async () => {
    const [counted] = await compare([{ iptables: COUNTED }]);
    expect(Array.isArray(counted!.nft), JSON.stringify(counted!.nft)).toBe(true);
    expect(counted!.netlink).toEqual(counted!.nft);
    const listing = (counted!.netlink as Record<string, Record<string, unknown>>[][])[0]!;
    const sets = listing.flatMap((item) => (item.set ? [item.set] : []));
    // INPUT's prefixes, hosts marked alike and ports, then ACCT's sources and destinations.
    expect(sets.map((s) => [s.name, (s.elem as unknown[]).length])).toEqual([
      ['cset0', 9],
      ['cset2', 8],
      ['cset3', 8],
      ['cset4', 10],
      ['cset5', 10],
    ]);
    for (const set of sets) expect(set.stmt).toEqual([{ counter: null }]);
    // Each element counts its rule, named by its comment.
    const comments = (sets[3]!.elem as { elem: { comment: string; counter: unknown } }[]).map(
      (e) => e.elem.counter !== undefined && e.elem.comment,
    );
    expect(comments).toEqual(Array.from({ length: 10 }, (_, i) => `rule ${i + 1}`));
    // The hosts marked each their own: a map of marks, each element its mark and counter.
    const [marks] = listing.flatMap((item) => (item.map ? [item.map] : []));
    expect(marks).toMatchObject({ name: 'mmap1', map: 'mark', stmt: [{ counter: null }] });
    const values = (marks!.elem as [{ elem: { counter: unknown } }, unknown][]).map(
      ([key, mark]) => key.elem.counter !== undefined && mark,
    );
    expect(values.sort()).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
    const rules = listing.flatMap((item) => (item.rule ? [JSON.stringify(item.rule.expr)] : []));
    expect(rules).toContain(
      '[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":"@cset4"}}]',
    );
    expect(rules).toContain(
      '[{"mangle":{"key":{"meta":{"key":"mark"}},"value":{"map":{"key":{"payload":{"protocol":"ip","field":"saddr"}},"data":"@mmap1"}}}}]',
    );
    expect(rules.some((r) => r.includes('"@cset2"') && r.includes('"mangle"'))).toBe(true);
    // The mark with a mask stays a rule.
    expect(rules.filter((r) => r.includes('"mangle"') && r.includes('"counter"'))).toHaveLength(1);
  }, 60_000);

  it('installs what nft installs for maps that span several messages and a run cut into segments', async () => {
    const [mapped, segmented] = await compare([table(MAPPED_LARGE), table(SEGMENTED_LARGE)]);
    for (const result of [mapped!, segmented!]) {
      expect(Array.isArray(result.nft)).toBe(true);
      expect(result.netlink).toEqual(result.nft);
    }
    // The largest map's or set's element count in the one table's listing.
    const elements = (listing: unknown, kind: 'map' | 'set') =>
      (listing as Record<string, { elem?: unknown[] }>[][])[0]!
        .map((item) => item[kind]?.elem?.length ?? 0)
        .reduce((a, b) => Math.max(a, b), 0);
    expect(elements(mapped!.netlink, 'map')).toBe(3000);
    // 3,600 rules of 2 shapes: 17 segments of 211 or 212 rules (sqrt(3,600 x 2 x 6) = 208),
    // the address pairs' set of each 175 to 177 keys.
    const segments = (listing: unknown) =>
      (listing as Record<string, { name?: string }>[][])[0]!.filter((item) =>
        item.chain?.name?.startsWith('bpfilter-keyed-rule-segment-'),
      ).length;
    expect(segments(segmented!.netlink)).toBe(17);
    expect(elements(segmented!.netlink, 'set')).toBe(177);
  }, 60_000);

  it('installs what nft installs for random tables', async () => {
    const cidr = fc
      .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 1, max: 32 }))
      .map(([a, n]) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${n}`);
    const not = fc.constantFrom('', '! ');
    const iface = fc.constantFrom('eth0', 'eth1', 'br+', 'veth-a', 'lo');
    const port = fc.integer({ min: 0, max: 65535 });
    // One port as often as a range: both ports single is the form nft loads at once.
    const ports = fc.oneof(
      port.map(String),
      fc
        .tuple(port, port)
        .map(([a, b]) => (a === b ? `${a}` : `${Math.min(a, b)}:${Math.max(a, b)}`)),
    );
    const l4 = fc.oneof(
      fc.constant(''),
      fc
        .tuple(fc.constantFrom('tcp', 'udp'), not, ports, not, ports)
        .map(([p, n1, s, n2, d]) => `-p ${p} -m ${p} ${n1}--sport ${s} ${n2}--dport ${d}`),
      fc.constantFrom('-p icmp -m icmp --icmp-type 8', '-p icmp -m icmp --icmp-type 3/1', '-p udp'),
    );
    const target = fc.constantFrom(
      '-j ACCEPT',
      '-j DROP',
      '-j RETURN',
      '-j web',
      '-g web',
      '',
      '-j REJECT --reject-with icmp-net-unreachable',
    );
    const rule = fc
      .tuple(
        fc.option(fc.tuple(not, cidr)),
        fc.option(fc.tuple(not, cidr)),
        fc.option(fc.tuple(not, iface)),
        l4,
        target,
      )
      .map(([s, d, i, p, t]) =>
        [
          '-A INPUT',
          s ? `${s[0]}-s ${s[1]}` : '',
          d ? `${d[0]}-d ${d[1]}` : '',
          i ? `${i[0]}-i ${i[1]}` : '',
          p,
          t,
        ]
          .filter((part) => part !== '')
          .join(' '),
      );
    const tables = fc
      .sample(fc.array(rule, { minLength: 1, maxLength: 30 }), 8)
      .map((r) => table(r));
    const results = await compare(tables);
    results.forEach((result, i) => {
      expect(Array.isArray(result.nft), tables[i]).toBe(true);
      expect(result.netlink, tables[i]).toEqual(result.nft);
    });
  }, 60_000);

  it('installs -i + (every interface) as the rule without it, both ways', async () => {
    // nft 1.0.6 refused the JSON's `iifname "*"`, so such a table could not be applied.
    const rule = '-A INPUT -p tcp -m tcp --dport 22 -j DROP';
    const [any, plain] = await compare([
      table([rule.replace('-p', '-i + -p')]),
      table([rule.replace('-p', '-i eth0 -p')]),
    ]);
    expect(Array.isArray(any!.nft), JSON.stringify(any!.nft)).toBe(true);
    expect(any!.netlink).toEqual(any!.nft);
    expect(JSON.stringify(any!.nft)).not.toContain('iifname');
    expect(JSON.stringify(plain!.nft)).toContain('iifname');
  }, 60_000);
});
