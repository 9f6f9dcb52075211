/**
 * Behaviour parity: the same rules restored into the kernel's legacy tables of one twin and,
 * through `bpfilter exec`, into a `bpfilter serve --enforce` of the other; the same traffic
 * between veth ends must meet the same fate in both, and the counters must agree.
 * Needs root, nft, ip, nsenter, ping and iptables-legacy; skips otherwise (fails with CI=true).
 */
import { Bpfilter } from '@umd/bpfilter';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLIENTS } from './enforce/clients.js';
import { EMPTY_TABLES, filterTable, probe, saved, twinPair } from './enforce/twin-pair.js';
import { COUNTED_PACKETS } from './enforce/counted-packets.js';
import { CT_SPLIT } from './enforce/ct-split.js';
import { ACCOUNTING, MARKED } from './enforce/counted-sets.js';
import {
  BLOCKLIST,
  COUNTED,
  GROUPED,
  MANY_CHAINS,
  NAT,
  REJECTED,
  SEGMENTED,
} from './enforce/counted-scenarios.js';
import type { Probe, Scenario } from './enforce/scenario-parts.js';
import { SCENARIOS } from './enforce/scenarios.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { F2, S } from './enforce/topology.js';
import type { Twin } from './enforce/twins.js';
import { CLI } from './iptables/namespace.js';

const missing = enforceSkipReason();

describe.skipIf(missing !== undefined)('enforcement parity with the kernel (legacy tables)', () => {
  const pair = twinPair();
  let kernel: Twin;
  let enforced: Twin;
  beforeAll(() => {
    [kernel, enforced] = pair.twins as [Twin, Twin];
  });

  async function restoreBoth(rules: string): Promise<void> {
    await pair.both(rules, async () => {});
  }

  /**
   * Restores `scenario` into both twins, runs its probes (the same outcome in both, the
   * expected one) and compares `iptables-save -c`; returns the kernel's save and the enforced
   * twin's `nft list ruleset`.
   */
  async function sameOutcomes(scenario: Scenario): Promise<{ saved: string; nft: string }> {
    await restoreBoth(scenario.rules);
    for (const p of scenario.probes) {
      const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
      expect([k, b], `${p.kind} ${p.from} -> ${p.host}:${p.port}`).toEqual([p.expect, p.expect]);
    }
    const [k, b] = await Promise.all([saved(kernel), saved(enforced)]);
    expect(b).toBe(k);
    const nft = await enforced.run('F', ['nft', 'list', 'ruleset']);
    return { saved: k, nft: nft.stdout };
  }

  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      await restoreBoth(scenario.rules);
      const seen: string[] = [];
      const wanted: string[] = [];
      for (const p of scenario.probes) {
        const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
        const what = `${p.kind} ${p.from} -> ${p.host}${p.port ? `:${p.port}` : ''}`;
        seen.push(`${what}: kernel ${k}, bpfilter ${b}`);
        wanted.push(`${what}: kernel ${p.expect}, bpfilter ${p.expect}`);
      }
      expect(seen).toEqual(wanted);
    }, 60_000);
  }

  // What ufw, Docker, fail2ban, kube-proxy, libvirt and a router script install: the same
  // outcomes (not counters: a connection's last ACKs may still be in flight in one twin when
  // they are read); each leaves every table empty behind it, as the scenarios after it expect.
  for (const client of CLIENTS) {
    it(client.name, async () => {
      try {
        const mark = enforced.serviceLog.length;
        await restoreBoth(client.rules);
        // Every table went as a netlink batch (ufw's LOG rules too), none to `nft -j -f`.
        const applied = enforced.appliedSince(mark);
        expect(applied.length).toBeGreaterThan(0);
        expect(applied.filter((how) => how !== 'netlink')).toEqual([]);
        const seen: string[] = [];
        for (const p of client.probes) {
          const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
          seen.push(`${p.kind} ${p.from} -> ${p.host}:${p.port ?? ''}: ${k}, ${b}`);
        }
        expect(seen).toEqual(
          client.probes.map(
            (p) => `${p.kind} ${p.from} -> ${p.host}:${p.port ?? ''}: ${p.expect}, ${p.expect}`,
          ),
        );
      } finally {
        await restoreBoth(EMPTY_TABLES);
      }
    }, 60_000);
  }

  // One flow in two tests in a row: the second must not meet the entry the first left in F's
  // connection table (twinPair empties them before each test), or its datagram would be
  // ESTABLISHED and dropped here, in both twins alike, which parity alone would not notice.
  const flow: Probe = {
    from: 'S',
    kind: 'udp',
    host: F2,
    port: 53,
    sport: 20053,
    expect: `reply:${S}`,
  };
  /** Each twin's outcome of `flow` under `rules`, in F's INPUT. */
  const flowUnder = async (rule: string) => {
    await restoreBoth(filterTable(rule));
    return Promise.all([probe(kernel, flow), probe(enforced, flow)]);
  };
  it('a UDP flow from a chosen port, tracked (a state match loads conntrack), is answered...', async () => {
    const tracked = '-A INPUT -p udp -m state --state NEW,ESTABLISHED -j ACCEPT';
    expect(await flowUnder(tracked)).toEqual([flow.expect, flow.expect]);
  }, 60_000);
  it('...and is new again in the next test: each test starts with empty connection tables', async () => {
    try {
      const dropEstablished = '-A INPUT -p udp -m state --state ESTABLISHED -j DROP';
      expect(await flowUnder(dropEstablished)).toEqual([flow.expect, flow.expect]);
    } finally {
      await restoreBoth(EMPTY_TABLES);
    }
  }, 60_000);

  it("counters equal the kernel's after the same traffic", async () => {
    const { saved: k } = await sameOutcomes(COUNTED);
    // Real packets were counted (not zeros agreeing with zeros).
    expect(k).toMatch(/\[2:168\] -A icmpin -p icmp -m icmp --icmp-type 8 -j ACCEPT/);
  }, 60_000);

  it(MANY_CHAINS.name, async () => {
    const { saved: k, nft } = await sameOutcomes(MANY_CHAINS);
    // The first chain and the last counted the echo; each datagram its own chain's DROP.
    expect(k).toMatch(/\[1:84\] -A SEP-0 -p icmp\n/);
    expect(k).toMatch(/\[1:84\] -A SEP-79 -p icmp\n/);
    expect(k).toMatch(/\[1:\d+\] -A SEP-5 -s 10\.1\.0\.2\/32 -p udp -m udp --dport 6005 -j DROP/);
    expect(k).toMatch(/\[1:\d+\] -A SEP-79 -s 10\.1\.0\.2\/32 -p udp -m udp --dport 6079 -j DROP/);
    expect(nft.match(/\n\tchain /g)!.length).toBeGreaterThan(64);
  }, 60_000);

  it(GROUPED.name, async () => {
    const { saved: k, nft } = await sameOutcomes(GROUPED);
    // The rule with the key of the jump before it counted the datagram web returned.
    expect(k).toMatch(/\[1:\d+\] -A INPUT -s 10\.1\.0\.2\/32 -p udp -m udp --dport 5353 -j ACCEPT/);
    expect(nft.match(/ vmap @vmap\d+/g)).toHaveLength(2);
  }, 60_000);

  it(BLOCKLIST.name, async () => {
    const { saved: k, nft } = await sameOutcomes(BLOCKLIST);
    // C's prefix counted each of its packets, the one overlapping it what web returned.
    expect(k).toMatch(/\[4:\d+\] -A INPUT -s 10\.1\.0\.2\/31 -j web/);
    expect(k).toMatch(/\[1:\d+\] -A INPUT -s 10\.1\.0\.0\/16 -j ACCEPT/);
    expect(nft.match(/flags interval/g)).toHaveLength(2);
    expect(nft.match(/ip saddr vmap @vmap\d+/g)).toHaveLength(2);
  }, 60_000);

  it(REJECTED.name, async () => {
    const { saved: k, nft } = await sameOutcomes(REJECTED);
    // C's ban counted its datagram, its echo and its SYN.
    expect(k).toMatch(
      /\[3:\d+\] -A INPUT -s 10\.1\.0\.2\/32 -j REJECT --reject-with icmp-port-unreachable/,
    );
    expect(nft.match(/ip saddr vmap @vmap\d+/g)).toHaveLength(1);
    expect(nft).toContain('goto bpfilter-reject-with-icmp-port-unreachable');
    expect(nft).toContain('goto bpfilter-reject-with-icmp-host-prohibited');
  }, 60_000);

  it(SEGMENTED.name, async () => {
    const { saved: k, nft } = await sameOutcomes(SEGMENTED);
    expect(k).toMatch(/\[1:\d+\] -A INPUT -s 10\.1\.0\.2\/32 -p udp -m udp --dport 53 -j DROP/);
    expect(nft.match(/ jump bpfilter-keyed-rule-segment-0-of-INPUT/g)).toHaveLength(2);
  }, 60_000);

  it(ACCOUNTING.name, async () => {
    const { saved: k, nft } = await sameOutcomes(ACCOUNTING);
    // C's source rule counted its echoes to F and S, its reply to S's, its two datagrams.
    expect(k).toMatch(/\[5:\d+\] -A ACCT -s 10\.1\.0\.2\/32\n/);
    expect(k).toMatch(/\[0:0\] -A ACCT -s 10\.9\.0\.1\/32\n/);
    expect(nft.match(/ip saddr @cset\d+/g)).toHaveLength(1);
    expect(nft.match(/ip daddr @cset\d+/g)).toHaveLength(1);
  }, 60_000);

  it(MARKED.name, async () => {
    const { saved: k, nft } = await sameOutcomes(MARKED);
    expect(k).toMatch(
      /\[\d+:\d+\] -A PREROUTING -s 10\.1\.0\.2\/32 -j MARK --set-xmark 0x7\/0xffffffff/,
    );
    expect(k).toMatch(/\[1:\d+\] -A INPUT -p udp -m udp --dport 53 -m mark --mark 0x7 -j DROP/);
    expect(nft).toMatch(/ip saddr @cset\d+ meta mark set/);
    expect(nft).toMatch(/meta mark set ip saddr map @mmap\d+/);
    expect(k).toMatch(/\[3:\d+\] -A INPUT -s 10\.2\.0\.2\/32 -j MARK --set-xmark 0x21\/0xffffffff/);
    expect(k).toMatch(/\[1:\d+\] -A INPUT -p udp -m udp --dport 53 -m mark --mark 0x21 -j DROP/);
    expect(nft).toMatch(/ip saddr @cset\d+ log prefix "listed: "/);
  }, 60_000);

  it(CT_SPLIT.name, async () => {
    await restoreBoth(CT_SPLIT.rules);
    for (const p of CT_SPLIT.probes) {
      const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
      expect([k, b], `${p.kind} ${p.from} -> ${p.host}:${p.port}`).toEqual([p.expect, p.expect]);
    }
    // Rule counters (not the policies': the connections' last ACKs may be in flight).
    const rules = (save: string) => save.split('\n').filter((line) => / -A /.test(line));
    const [k, b] = await Promise.all([saved(kernel, 'filter'), saved(enforced, 'filter')]);
    expect(rules(b)).toEqual(rules(k));
    expect(rules(k).map((line) => line.slice(0, line.indexOf(']') + 1))).toEqual([
      '[1:60]',
      '[3:180]',
      '[1:60]',
      '[3:180]',
    ]);
    const nft = await enforced.run('F', ['nft', 'list', 'table', 'bpfilter_filter']);
    expect(nft.stdout.match(/ct status (! )?dnat/g)).toEqual([
      'ct status dnat',
      'ct status dnat',
      'ct status ! dnat',
    ]);
  }, 60_000);

  it("classify's counters equal the kernel's after the same packets", async () => {
    expect((await kernel.restore(COUNTED.rules)).code).toBe(0);
    for (const p of COUNTED.probes) expect(await probe(kernel, p)).toBe(p.expect);
    const kernelSaved = await saved(kernel, 'filter');
    const bpfilter = new Bpfilter();
    try {
      await bpfilter.restore(COUNTED.rules);
      for (const [hook, packet] of COUNTED_PACKETS) {
        const result = await bpfilter.classify('filter', hook, packet);
        expect(result.verdict, `${hook} ${JSON.stringify(packet)}`).not.toBe('CANNOT_EVALUATE');
      }
      const classified = await bpfilter.save({ tables: ['filter'], counters: true });
      expect(classified).toBe(kernelSaved);
      expect(kernelSaved).toMatch(/\[2:66\] -A INPUT -s 10\.1\.0\.2\/32\n/);
    } finally {
      await bpfilter.stop();
    }
  }, 60_000);

  it(NAT.name, async () => {
    const mark = enforced.serviceLog.length;
    await restoreBoth(NAT.rules);
    // Both tables (filter, then nat) went to the kernel as netlink batches: nat statements too.
    expect(enforced.appliedSince(mark)).toEqual(['netlink', 'netlink']);
    const seen: string[] = [];
    const wanted: string[] = [];
    for (const p of NAT.probes) {
      const [k, b] = await Promise.all([probe(kernel, p), probe(enforced, p)]);
      const what = `${p.kind} ${p.from} -> ${p.host}${p.port ? `:${p.port}` : ''}`;
      seen.push(`${what}: kernel ${k}, bpfilter ${b}`);
      wanted.push(`${what}: kernel ${p.expect}, bpfilter ${p.expect}`);
    }
    expect(seen).toEqual(wanted);
    // The first packet of each connection walked the nat chains: the same counts in both.
    const [k, b] = await Promise.all([saved(kernel, 'nat'), saved(enforced, 'nat')]);
    expect(b).toBe(k);
    expect(k).toMatch(/\[1:60\] -A PREROUTING -i fc -p tcp -m tcp --dport 7000 -j DNAT/);
    // classify predicts what the kernel did to the first connection (C -> F:7000).
    const classify = async (hook: string, args: string[]) => {
      const out = await enforced.run('F', [
        ...[process.execPath, CLI, 'classify', '--socket', enforced.socketPath, '-t', 'nat'],
        ...['--hook', hook, '-p', 'tcp', '--sport', '40000', '--json', ...args],
      ]);
      expect(out.code, out.stderr).toBe(0);
      return JSON.parse(out.stdout).nat;
    };
    const dnat = await classify(
      'PREROUTING',
      ['-s', '10.1.0.2', '-d', '10.1.0.1', '-i', 'fc'].concat('--dport', '7000'),
    );
    expect(dnat).toEqual({
      target: 'DNAT',
      rewrites: 'destination',
      address: '10.2.0.2',
      port: 8080,
    });
    const masquerade = await classify('POSTROUTING', [
      ...['-s', '10.1.0.2', '-d', dnat.address, '--dport', String(dnat.port), '-o', 'fs'],
      ...['--if-addr', 'fs=10.2.0.1'],
    ]);
    expect(masquerade).toEqual({
      target: 'MASQUERADE',
      rewrites: 'source',
      interface: 'fs',
      address: '10.2.0.1',
      port: 40000,
    });
  }, 60_000);

  it('keeps the two worlds apart: no legacy table under bpfilter, no nft table in the kernel twin', async () => {
    const legacy = await enforced.run('F', ['iptables-legacy-save']);
    expect(legacy.stdout).toBe('');
    const nft = await kernel.run('F', ['nft', 'list', 'ruleset']);
    expect(nft.stdout).toBe('');
    const ours = await enforced.run('F', ['nft', 'list', 'tables']);
    expect(ours.stdout).toContain('table ip bpfilter_filter');
  });
});
