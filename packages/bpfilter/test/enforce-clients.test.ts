/**
 * Behaviour parity on more real clients (client-cases.ts, client-cases-more.ts): each
 * installed in both twins as the client installs it (legacy tables, and bpfilter enforcing),
 * the same traffic, the same outcomes, and after the UDP and echo probes the same
 * `iptables-save -c` of every table; after the TCP probes the same nat counters (only a
 * connection's first packet walks nat); then the client's next command, if it has one, and
 * probes of what the kernel remembered across it.
 * Needs root, nft, ip, nsenter, ping, iptables-legacy and ipset; skips otherwise (fails with
 * CI=true).
 */
import { describe, expect, it } from 'vitest';
import {
  type ClientCase,
  CLIENT_CASES,
  createSets,
  quotedName,
  type Step,
} from './enforce/client-cases.js';
import { MORE_CLIENT_CASES } from './enforce/client-cases-more.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import type { Probe } from './enforce/scenario-parts.js';
import { EMPTY_TABLES, probe, saved, twinPair } from './enforce/twin-pair.js';
import type { Twin } from './enforce/twins.js';
import { which } from './iptables/namespace.js';

const missing = enforceSkipReason(() =>
  which('ipset') ? undefined : 'ipset is not installed (Debian package ipset)',
);

async function sh(twin: Twin, node: 'C' | 'F' | 'S', script: string): Promise<void> {
  const out = await twin.run(node, ['sh', '-ec', script]);
  expect(out.code, `${twin.flavour} ${node}: ${script}: ${out.stderr}`).toBe(0);
}

async function install(twin: Twin, step: Step): Promise<void> {
  const out =
    'restore' in step
      ? await twin.iptables('iptables-legacy-restore', step.args ?? [], step.restore)
      : await twin.iptables('iptables-legacy', step.command.split(' '));
  expect(out.code, `${twin.flavour}: ${out.stderr}\n${twin.serviceLog.slice(-2000)}`).toBe(0);
}

describe.skipIf(missing !== undefined)('real clients: enforcement as the kernel', () => {
  const pair = twinPair();

  /** The probes' outcomes in both twins, side by side with what both must observe. */
  async function outcomes(probes: Probe[]): Promise<void> {
    const seen: string[] = [];
    for (const p of probes) {
      const [k, b] = await Promise.all(pair.twins.map((twin) => probe(twin, p)));
      seen.push(`${p.kind} ${p.from} -> ${p.host}:${p.port ?? ''}: ${k}, ${b}`);
    }
    const want = probes.map(
      (p) => `${p.kind} ${p.from} -> ${p.host}:${p.port ?? ''}: ${p.expect}, ${p.expect}`,
    );
    // A mismatch says what F held in each twin when it was seen.
    const state = seen.some((line, i) => line !== want[i])
      ? (await Promise.all(pair.twins.map((twin) => twin.firewallState()))).join('\n')
      : '';
    expect(seen, state).toEqual(want);
  }

  /** Both twins' nat counters, after TCP probes (only a connection's first packet walks nat). */
  async function sameNat(): Promise<void> {
    const [kernel, enforced] = await Promise.all(pair.twins.map((twin) => saved(twin, 'nat')));
    expect(enforced).toBe(kernel);
  }

  async function run(client: ClientCase): Promise<void> {
    const setup = Object.entries(client.setup ?? {}) as ['C' | 'F' | 'S', [string, string]][];
    for (const twin of pair.twins) {
      if (client.sets) await sh(twin, 'F', createSets(client.sets));
      for (const [node, [up]] of setup) await sh(twin, node, up);
    }
    try {
      const bpfilter = pair.twins[1]!;
      const mark = bpfilter.serviceLog.length;
      for (const step of client.install)
        await Promise.all(pair.twins.map((twin) => install(twin, step)));
      // Every table went as a netlink batch (LOG and NFLOG too), none to `nft -j -f`.
      const applied = bpfilter.appliedSince(mark);
      expect(applied.length).toBeGreaterThan(0);
      expect(applied.filter((how) => how !== 'netlink')).toEqual([]);
      const listing = await pair.twins[1]!.run('F', ['nft', 'list', 'ruleset']);
      for (const written of client.nft ?? []) expect(listing.stdout).toMatch(written);
      await outcomes(client.probes.filter((p) => p.kind !== 'tcp'));
      const [kernel, enforced] = await Promise.all(pair.twins.map((twin) => saved(twin)));
      // Counters that differ say what F held in each twin too (conntrack above all: session
      // 20's CI saw one twin count a fresh UDP probe as ESTABLISHED).
      const state =
        enforced === kernel
          ? ''
          : (await Promise.all(pair.twins.map((twin) => twin.firewallState()))).join('\n');
      expect(enforced, state).toBe(kernel);
      for (const line of client.counted) expect(kernel).toMatch(line);
      await outcomes(client.probes.filter((p) => p.kind === 'tcp'));
      await sameNat();
      // The client's next command while its traffic flows: what the rules remember goes on.
      if (client.next) {
        for (const step of client.next.install)
          await Promise.all(pair.twins.map((twin) => install(twin, step)));
        await outcomes(client.next.probes);
        await sameNat();
      }
    } finally {
      await pair.both(EMPTY_TABLES, async () => {});
      for (const twin of pair.twins) {
        for (const [node, [, down]] of setup) await sh(twin, node, down);
        for (const set of client.sets ?? [])
          await sh(twin, 'F', `ipset destroy ${quotedName(set)}`);
      }
    }
  }

  for (const client of [...CLIENT_CASES, ...MORE_CLIENT_CASES])
    it(client.name, () => run(client), 90_000);
});
