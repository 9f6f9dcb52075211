/**
 * ipsets under enforcement: `-m set --match-set` and `-j SET --add-set` name sets of the
 * namespace's kernel (ipset(8)), which iptables looks up by name through SO_IP_SET, answered
 * by that kernel when bpfilter enforces; the rules run through nft_compat (xt_set). The same
 * sets and rules in both twins (legacy tables, and bpfilter enforcing), the same traffic, the
 * same outcomes, counters and set contents (fail2ban's ipset action too: a ban is a set
 * change, not a table change); and a set destroyed between iptables' lookup and the install
 * is refused by the kernel, the old table kept. A state file whose rules name sets is refused
 * at the next start: it holds the sets' kernel indexes, which a reboot may give other sets.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { which } from './iptables/namespace.js';
import { counted, filterTable as filter, twinPair } from './enforce/twin-pair.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { Twin } from './enforce/twins.js';
import { C, F } from './enforce/topology.js';

const missing = enforceSkipReason(() =>
  which('ipset') ? undefined : 'ipset is not installed (Debian package ipset)',
);

/** Runs ipset(8) in F, which must succeed. */
async function ipset(twin: Twin, ...args: string[]): Promise<string> {
  const out = await twin.run('F', ['ipset', ...args]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout;
}

describe.skipIf(missing !== undefined)('ipsets: -m set and -j SET enforced as the kernel', () => {
  const pair = twinPair();

  it('--match-set drops the members, SET --add-set adds the source: outcomes, counters, sets equal', async () => {
    // `other` first: the sets' indexes (1 and 2) are not 0, the default a missed lookup leaves.
    for (const twin of pair.twins) {
      await ipset(twin, 'create', 'other', 'hash:ip');
      await ipset(twin, 'create', 'blocked', 'hash:ip');
      await ipset(twin, 'add', 'blocked', C);
      await ipset(twin, 'create', 'seen', 'hash:ip');
    }
    const rules = filter(
      '-A INPUT -p udp -m udp --dport 53 -m set --match-set blocked src -j DROP',
      '-A INPUT -p udp -m udp --dport 5353 -m set --match-set other src -j DROP',
      '-A INPUT -p tcp -m tcp --dport 22 -j SET --add-set seen src',
    );
    const kernel = await pair.bothAlike(rules, async (twin) => ({
      outcomes: [
        await twin.probe('C', 'udp', F, 53),
        await twin.probe('C', 'udp', F, 5353, 10_000),
        await twin.probe('C', 'tcp', F, 22, 10_000),
      ],
      members: (await ipset(twin, 'list', 'seen')).split('Members:')[1]?.trim(),
    }));
    expect(kernel).toEqual({
      outcomes: ['timeout', `reply:${C}`, `connected:${C}`],
      members: C,
    });
    const [kernelRules, enforcedRules] = await Promise.all(pair.twins.map(counted));
    expect(enforcedRules).toEqual(kernelRules);
    // iptables-save under bpfilter exec names the sets (GET_BYINDEX, answered by the kernel).
    const saved = enforcedRules!.join('\n');
    expect(saved).toMatch(/^\[1:\d+\] -A INPUT .* --match-set blocked src -j DROP$/m);
    expect(saved).toMatch(/-j SET --add-set seen src$/m);
    const [, bpfilter] = pair.twins as [Twin, Twin];
    const listing = await bpfilter.run('F', ['nft', 'list', 'table', 'ip', 'bpfilter_filter']);
    expect(listing.stdout).toMatch(/xt match set/);
    expect(listing.stdout).toMatch(/xt target SET/);
  }, 60_000);

  it("fail2ban's iptables-ipset action: a ban and an unban take effect with no table change", async () => {
    const ban = ['-I', 'INPUT', '-p', 'tcp', '-m', 'multiport', '--dports', '22'].concat(
      '-m set --match-set f2b-sshd src -j REJECT --reject-with icmp-port-unreachable'.split(' '),
    );
    const kernel = await pair.bothAlike(filter(), async (twin) => {
      await ipset(twin, 'create', 'f2b-sshd', 'hash:ip', 'timeout', '600');
      const inserted = await twin.iptables('iptables-legacy', ban);
      expect(inserted.code, inserted.stderr).toBe(0);
      const ssh = () => twin.probe('C', 'tcp', F, 22, 10_000);
      const before = await ssh();
      await ipset(twin, 'add', 'f2b-sshd', C, 'timeout', '600', '-exist');
      const banned = [await ssh(), await twin.probe('C', 'tcp', F, 80, 10_000)];
      await ipset(twin, 'del', 'f2b-sshd', C);
      return { before, banned, after: await ssh() };
    });
    const ok = `connected:${C}`;
    expect(kernel).toEqual({ before: ok, banned: ['ECONNREFUSED', ok], after: ok });
    const [kernelRules, enforcedRules] = await Promise.all(pair.twins.map(counted));
    expect(enforcedRules).toEqual(kernelRules);
  }, 60_000);

  it('a set destroyed between the lookup and the install: refused by the kernel, the old table kept', async () => {
    const [, bpfilter] = pair.twins as [Twin, Twin];
    await ipset(bpfilter, 'create', 'gone', 'hash:ip');
    const before = filter('-A INPUT -p udp -m udp --dport 53 -j DROP');
    const restored = await bpfilter.restore(before);
    expect(restored.code, restored.stderr).toBe(0);
    const saved = await counted(bpfilter);
    const nftBefore = await bpfilter.run('F', ['nft', 'list', 'table', 'ip', 'bpfilter_filter']);
    const mark = bpfilter.serviceLog.length;
    const restore = bpfilter.startIptables('iptables-legacy-restore', []);
    restore.stdin.write(
      '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -m set --match-set gone src -j DROP\n',
    );
    // libxt_set's lookups (the version, then the set by name) answered by the kernel: the rule
    // line is parsed, its set index taken; now the set goes away before COMMIT sends the table.
    while (
      (bpfilter.serviceLog.slice(mark).match(/^BPFILTER \d+: kernel ipset /gm) ?? []).length < 2
    )
      await once(bpfilter.serviceOutput, 'data');
    await ipset(bpfilter, 'destroy', 'gone');
    restore.stdin.end('COMMIT\n');
    const out = await restore.output;
    expect(out.code).not.toBe(0);
    expect(out.stderr).not.toMatch(/doesn't exist/);
    expect(bpfilter.serviceLog.slice(mark)).toMatch(/xt match set .*ENOENT/);
    expect(await counted(bpfilter)).toEqual(saved);
    expect(
      (await bpfilter.run('F', ['nft', 'list', 'table', 'ip', 'bpfilter_filter'])).stdout,
    ).toBe(nftBefore.stdout);
  }, 60_000);

  it('serve --enforce --state with a set rule, sets re-created in another order: the start is refused, naming iptables-restore', async () => {
    // A twin of its own: the refused start leaves it without a service.
    const twin = await Twin.create('bpfilter');
    try {
      await ipset(twin, 'create', 'allow', 'hash:ip');
      await ipset(twin, 'create', 'f2b-sshd', 'hash:ip');
      const restored = await twin.restore(
        filter('-A INPUT -p tcp -m tcp --dport 22 -m set --match-set allow src -j ACCEPT'),
      );
      expect(restored.code, restored.stderr).toBe(0);
      const restart = twin.restartService('SIGTERM', async () => {
        // A reboot: an empty kernel, the sets created again, fail2ban's first (index 0 now).
        expect((await twin.run('F', ['nft', 'flush', 'ruleset'])).code).toBe(0);
        await ipset(twin, 'destroy');
        await ipset(twin, 'create', 'f2b-sshd', 'hash:ip');
        await ipset(twin, 'create', 'allow', 'hash:ip');
      });
      await expect(restart).rejects.toThrow(
        /exited with 1: .*state of table "filter" is refused: a rule in chain INPUT references ipset set index 0.*iptables-restore/s,
      );
    } finally {
      await twin.destroy();
    }
  }, 60_000);
});
