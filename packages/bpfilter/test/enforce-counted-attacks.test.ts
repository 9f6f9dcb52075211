/**
 * Attacks on counted sets and maps of marks (issue 17): rulesets an administrator writes
 * that try to make a moved or grouped rule see, or leave, a different packet than the
 * kernel's legacy tables do; and the iptables commands that read and change counters after
 * traffic (-I, -D, -Z, -L -v). The same rules and traffic in both twins: the same outcomes
 * and the same counters (`iptables-save -c` of every table).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  EMPTY_TABLES,
  filterTable as filter,
  mangleTable,
  natTable,
  rawTable,
  saved,
  twinPair,
} from './enforce/twin-pair.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { type Twin, waitFor } from './enforce/twins.js';
import { C, F, F2, S } from './enforce/topology.js';

const missing = enforceSkipReason();

const hosts = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `10.9.0.${from + i}`);

describe.skipIf(missing !== undefined)('counted sets under attack: as the kernel', () => {
  const pair = twinPair();
  afterEach(() => pair.both(EMPTY_TABLES, async () => {}));

  /** Both twins' `iptables-save -c`, equal; the kernel's. */
  async function sameSaves(): Promise<string> {
    const [k, b] = await Promise.all(pair.twins.map((twin) => saved(twin)));
    expect(b).toBe(k);
    return k!;
  }

  /** The enforced twin's nft ruleset. */
  async function ruleset(): Promise<string> {
    const out = await pair.twins[1]!.run('F', ['nft', 'list', 'ruleset']);
    expect(out.code, out.stderr).toBe(0);
    return out.stdout;
  }

  /** Runs `iptables args` in both twins: both succeed. */
  async function iptables(...args: string[]): Promise<void> {
    const outs = await Promise.all(pair.twins.map((t) => t.iptables('iptables-legacy', args)));
    for (const out of outs) expect(out.code, out.stderr).toBe(0);
  }

  /** C's datagram to F `port` and echo to F, and S's echo to F2, in `twin`. */
  const traffic = async (twin: Twin, port: number, expect: string) => [
    await twin.probe('C', 'udp', F, port, waitFor(expect)),
    await twin.ping('C', F),
    await twin.ping('S', F2),
  ];

  it('an accounting chain jumped to twice, a duplicate key, /24 beside /32, -i keys, then -I, -D, -Z and -L -v', async () => {
    const acct = [...hosts(1, 4), C, ...hosts(5, 8), S].flatMap((h) => [
      `-A ACCT -s ${h}/32`,
      `-A ACCT -d ${h}/32`,
    ]);
    const rules = filter(
      ':ACCT - [0:0]\n:ACCI - [0:0]',
      '-A INPUT -j ACCT',
      '-A INPUT -j ACCI',
      '-A FORWARD -j ACCT',
      '-A OUTPUT -j ACCT',
      ...acct,
      // The same key again (legacy counts a packet once per rule), and the run goes on.
      `-A ACCT -s ${C}/32`,
      ...hosts(11, 18).map((h) => `-A ACCT -s ${h}/32`),
      // Prefixes beside hosts inside them, and a -m comment only rule.
      ...[1, 2, 3, 4, 5, 6, 7, 8].flatMap((n) => [
        `-A ACCT -s 10.${n === 1 ? 1 : 8}.${n}.0/24`,
        `-A ACCT -s 10.${n === 1 ? 1 : 8}.${n}.${n + 1}/32`,
      ]),
      '-A ACCT -m comment --comment "all of it"',
      ...['fc', 'fs', 'lo', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6'].map((i) => `-A ACCI -i ${i}`),
      ...['fc', 'fs', 'lo', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6'].map(
        (i) => `-A ACCI -i ${i} -p udp -m udp --dport 5353`,
      ),
      ...['fc', 'fs', 'lo', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6'].map(
        (i) => `-A ACCI -i ${i} -p tcp -m tcp --dport 5353`,
      ),
    );
    await pair.bothAlike(rules, (twin) => traffic(twin, 5353, `reply:${C}`));
    const k = await sameSaves();
    // Sets of names, of names and ports, of each address, and the duplicate's second set.
    expect((await ruleset()).match(/@cset\d+/g)).toHaveLength(7);
    expect(k).toMatch(
      /\[[1-9]\d*:\d+\] -A ACCT -s 10\.1\.0\.2\/32\n(.*\n)*\[[1-9]\d*:\d+\] -A ACCT -s 10\.1\.0\.2\/32\n/,
    );
    // Counters carried over a replace, and moved with their rules.
    await iptables('-I', 'ACCT', '1', '-s', '10.9.0.99/32');
    await sameSaves();
    await iptables('-D', 'ACCT', '3');
    await iptables('-A', 'ACCT', '-d', '10.9.0.98/32');
    await sameSaves();
    await Promise.all(pair.twins.map((twin) => traffic(twin, 5353, `reply:${C}`)));
    await sameSaves();
    await iptables('-Z', 'ACCT', '5');
    await sameSaves();
    // A member replaced (its counters dropped), one with counters given, a chain renamed.
    await iptables('-R', 'ACCT', '10', '-s', `${C}/32`);
    await iptables('-R', 'ACCT', '11', '-d', `${C}/32`, '-c', '7', '700');
    await iptables('-I', 'ACCT', '12', '-s', `${S}/32`, '-c', '9', '900');
    await iptables('-E', 'ACCT', 'ACCT2');
    await Promise.all(pair.twins.map((twin) => traffic(twin, 5353, `reply:${C}`)));
    await sameSaves();
    await iptables('-E', 'ACCT2', 'ACCT');
    await iptables('-Z', 'ACCT');
    await Promise.all(pair.twins.map((twin) => traffic(twin, 5353, `reply:${C}`)));
    await sameSaves();
    const listed = await Promise.all(
      pair.twins.map((t) => t.iptables('iptables-legacy', ['-L', '-v', '-x', '-n'])),
    );
    expect(listed[1]!.stdout).toBe(listed[0]!.stdout);
  }, 300_000);

  it('MARK runs beside rules that read and change the mark: -m mark, CONNMARK, RETURN, or/and/xor masks', async () => {
    const marks = mangleTable(
      ':MK - [0:0]',
      '-A PREROUTING -j MK',
      // A mark written whole per host (a map of marks), a -m mark rule reading it between.
      ...[...hosts(1, 4), C, ...hosts(5, 8)].flatMap((h, i) => [
        `-A MK -s ${h}/32 -j MARK --set-xmark 0x${(i + 1).toString(16)}/0xffffffff`,
        ...(i === 2 ? ['-A MK -m mark --mark 0x5 -j MARK --set-xmark 0x40/0xffffffff'] : []),
      ]),
      // Counting rules past MARK and CONNMARK; or, and, xor runs.
      ...[...hosts(11, 14), C, S, ...hosts(15, 18)].map((h) => `-A MK -s ${h}/32`),
      '-A MK -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff',
      ...[...hosts(21, 24), C, S, ...hosts(25, 28)].map(
        (h) => `-A MK -s ${h}/32 -j MARK --or-mark 0x100`,
      ),
      ...[...hosts(21, 24), S, C, ...hosts(25, 28)].map((h) => `-A MK -s ${h}/32`),
      `-A MK -s ${S}/32 -j RETURN`,
      ...[...hosts(31, 34), C, S, ...hosts(35, 38)].map(
        (h) => `-A MK -s ${h}/32 -j MARK --xor-mark 0x3000`,
      ),
      ...[...hosts(31, 34), C, S, ...hosts(35, 38)].map(
        (h) => `-A MK -s ${h}/32 -j MARK --and-mark 0xfff0ff`,
      ),
      ...[...hosts(41, 44), C, ...hosts(45, 48)].map(
        (h) => `-A MK -s ${h}/32 -m mark --mark 0x3005`,
      ),
      '-A MK -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
      ...[...hosts(51, 54), C, S, ...hosts(55, 58)].map((h) => `-A MK -s ${h}/32`),
    );
    const observe = filter(
      ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
      ...[0x5, 0x45, 0x145, 0x3145, 0x3045, 0x100, 0x3100, 0x3000].map(
        (m) => `-A INPUT -m mark --mark 0x${m.toString(16)}`,
      ),
      ...[0x5, 0x45, 0x145, 0x3145, 0x3045, 0x100, 0x3100, 0x3000].map(
        (m) => `-A FORWARD -m mark --mark 0x${m.toString(16)}`,
      ),
      '-A INPUT -p udp -m udp --dport 53 -m mark --mark 0x3045 -j DROP',
    );
    await pair.bothAlike(`${observe}${marks}`, async (twin) => [
      await twin.probe('C', 'udp', F, 53, waitFor('timeout')),
      await twin.probe('C', 'udp', F, 5353, waitFor(`reply:${C}`)),
      await twin.ping('C', S),
      await twin.ping('S', F2),
    ]);
    const k = await sameSaves();
    expect(
      (await ruleset()).match(/ip saddr @cset\d+ meta mark set meta mark [|^&] /g),
    ).toHaveLength(3);
    // C's packets: 0x5, or 0x100, xor 0x3000, and 0xfff0ff: 0x3005 (the second counting run).
    expect(k).toMatch(/\[3:\d+\] -A MK -s 10\.1\.0\.2\/32 -m mark --mark 0x3005\n/);
  }, 300_000);

  it('a LOG run (netlink, since LOG is written natively) with counting rules moved past it, then -I and -Z', async () => {
    const rules = filter(
      ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:L - [0:0]',
      '-A INPUT -j L',
      '-A FORWARD -j L',
      ...[...hosts(1, 4), C, S, ...hosts(5, 8)].flatMap((h) => [
        `-A L -s ${h}/32 -j LOG --log-prefix "l: "`,
        `-A L -d ${h}/32`,
        `-A L -s ${h}/32`,
      ]),
      `-A L -s ${C}/32 -j LOG --log-prefix "l: "`,
      ...[...hosts(11, 18)].map((h) => `-A L -s ${h}/32 -j LOG --log-prefix "l: "`),
    );
    const mark = pair.twins[1]!.serviceLog.length;
    await pair.bothAlike(rules, (twin) => traffic(twin, 5353, `reply:${C}`));
    await sameSaves();
    expect(pair.twins[1]!.appliedSince(mark)).not.toContain('nft');
    expect(await ruleset()).toMatch(/ip saddr @cset\d+ log prefix "l: "/);
    await iptables('-I', 'L', '2', '-s', `${C}/32`, '-j', 'LOG');
    await Promise.all(pair.twins.map((twin) => traffic(twin, 5353, `reply:${C}`)));
    await sameSaves();
    await iptables('-Z', 'L');
    await Promise.all(pair.twins.map((twin) => traffic(twin, 5353, `reply:${C}`)));
    const k = await sameSaves();
    expect(k).toMatch(/\[[1-9]\d*:\d+\] -A L -s 10\.1\.0\.2\/32 -j LOG --log-prefix "l: "\n/);
  }, 300_000);
  it('prefixes and port ranges at the ends of their spaces in counted sets (raw, nat, filter with LOG)', async () => {
    const edges = [
      '0.0.0.0/8',
      '255.255.255.0/24',
      '10.1.0.0/24',
      '10.2.0.0/24',
      '224.0.0.0/4',
      '128.0.0.0/2',
      '10.9.0.0/16',
      '10.3.0.0/23',
      '255.255.255.254/31',
    ];
    const ports = ['0:52', '54:99', '100:999', '1000:5352', '5354:9999', '10000:65000'].concat(
      '65001:65533',
      '65534:65535',
    );
    const runs = (chain: string, target: string) => [
      ...edges.map((e) => `-A ${chain} -s ${e}${target}`),
      ...edges.map((e) => `-A ${chain} -d ${e}${target}`),
      ...ports.flatMap((r) => [
        `-A ${chain} -p udp -m udp --dport ${r}${target}`,
        `-A ${chain} -s 10.1.0.0/24 -p udp -m udp --sport 1024:65535 --dport ${r}${target}`,
      ]),
      ...ports.map((r) => `-A ${chain} -p tcp -m tcp --dport ${r}${target}`),
      ...ports.map((r) => `-A ${chain} -p udp -m udp --sport ${r}${target}`),
    ];
    const rules = [
      rawTable(...runs('PREROUTING', ''), ...runs('OUTPUT', ' -j MARK --set-xmark 0x1/0x1')),
      natTable(...runs('PREROUTING', ''), ...runs('POSTROUTING', ' -j MARK --or-mark 0x2')),
      filter(
        ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
        ...runs('INPUT', ' -j LOG --log-prefix "e: "'),
        ...runs('FORWARD', ''),
        ...[0, 1, 2, 3].map((m) => `-A OUTPUT -m mark --mark 0x${m.toString(16)}`),
      ),
    ].join('');
    await pair.bothAlike(rules, async (twin) => [
      ...(await traffic(twin, 5353, `reply:${C}`)),
      await twin.probe('C', 'udp', F, 53, waitFor(`reply:${C}`)),
      await twin.probe('C', 'udp', S, 65535, waitFor(`reply:${C}`)),
      await twin.probe('S', 'udp', C, 52, waitFor(`reply:${S}`)),
    ]);
    const k = await sameSaves();
    expect(k).toMatch(/\[[1-9]\d*:\d+\] -A FORWARD -p udp -m udp --dport 65534:65535\n/);
    // Each run a set: addresses, ports, and a source, its ports and a destination port; six
    // runs in each of the six chains (where the second port run's members each follow the
    // first run's member of their port, that run's set stands before them: group-rules.ts).
    expect((await ruleset()).match(/@cset\d+/g)).toHaveLength(36);
  }, 300_000);
  it('counters restored with -c into set elements and maps of marks (past 2^53, at 2^64 - 1), then traffic', async () => {
    const big = ['9007199254740993', '18446744073709551615', '4294967296', '1'];
    const counters = (i: number) => `[${big[i % 4]}:${big[(i + 1) % 4]}]`;
    const members = [...hosts(1, 4), C, S, ...hosts(5, 8)];
    const rules = [
      '*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]',
      ...members.map(
        (h, i) =>
          `${counters(i + 1)} -A PREROUTING -s ${h}/32 -j MARK --set-xmark 0x${i + 1}/0xffffffff`,
      ),
      ...members.map((h, i) => `${counters(i)} -A PREROUTING -d ${h}/32 -j MARK --or-mark 0x100`),
      'COMMIT',
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
      ...members.map((h, i) => `${counters(i + 1)} -A INPUT -s ${h}/32`),
      ...members.map((h, i) => `${counters(i)} -A FORWARD -d ${h}/32`),
      'COMMIT',
      '',
    ].join('\n');
    const restored = await Promise.all(
      pair.twins.map((t) => t.iptables('iptables-legacy-restore', ['-c'], rules)),
    );
    for (const out of restored) expect(out.code, out.stderr).toBe(0);
    const before = await sameSaves();
    expect(before).toMatch(/\[18446744073709551615:4294967296\] -A INPUT -s 10\.1\.0\.2\/32\n/);
    await Promise.all(pair.twins.map((twin) => traffic(twin, 5353, `reply:${C}`)));
    await Promise.all(pair.twins.map((twin) => twin.ping('C', S)));
    const nft = await ruleset();
    expect(nft).toMatch(/ip saddr @cset\d+/);
    expect(nft).toMatch(/meta mark set ip saddr map @mmap\d+/);
    // C's packets went past 2^64 - 1: the counter wrapped, as a u64 does in the kernel.
    expect(await sameSaves()).toMatch(/\[[1-9]:\d+\] -A INPUT -s 10\.1\.0\.2\/32\n/);
  }, 300_000);
  it('a map of marks in a table with a LOG beside it (netlink, since LOG is written natively): marks and counters', async () => {
    const members = [...hosts(1, 4), C, S, ...hosts(5, 8)];
    const mark = pair.twins[1]!.serviceLog.length;
    const rules = [
      mangleTable(
        '-A PREROUTING -s 10.9.0.99/32 -j LOG --log-prefix "m: "',
        ...members.map(
          (h, i) => `-A PREROUTING -s ${h}/32 -j MARK --set-xmark 0x${i + 1}/0xffffffff`,
        ),
        ...members.map(
          (h, i) => `-A PREROUTING -d ${h}/32 -j MARK --set-xmark 0x${i + 1}0/0xffffffff`,
        ),
      ),
      filter(
        ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]',
        ...[0x5, 0x6, 0x50, 0x60].map((m) => `-A INPUT -m mark --mark 0x${m.toString(16)}`),
        ...[0x5, 0x6, 0x50, 0x60].map((m) => `-A FORWARD -m mark --mark 0x${m.toString(16)}`),
      ),
    ].join('');
    await pair.bothAlike(rules, async (twin) => [
      ...(await traffic(twin, 5353, `reply:${C}`)),
      await twin.ping('C', S),
    ]);
    expect(pair.twins[1]!.appliedSince(mark)).not.toContain('nft');
    expect(await ruleset()).toMatch(/meta mark set ip daddr map @mmap\d+/);
    const k = await sameSaves();
    // C's echo to S: marked 0x5 by its source, then 0x60 by S's address.
    expect(k).toMatch(/\[1:84\] -A FORWARD -m mark --mark 0x60\n/);
  }, 300_000);
});
