/**
 * Behaviour parity of the extensions nftables has no form for, enforced through nft_compat
 * (the kernel's own xt module inside the nft rule): -m recent as `ufw limit` installs it,
 * -m string, -m hashlimit, -j NFQUEUE with and without --queue-bypass, -j QUEUE (as xt_NFQUEUE's
 * queue 0: this kernel has no nft_queue), -m recent beside -j DNAT in the nat table as
 * kube-proxy writes client affinity (the nat statement native). The same rules in
 * both twins (legacy tables, and bpfilter enforcing), the same traffic, the same outcomes and
 * the same counters (the extensions bound to their table's name: enforce-tablebound.test.ts).
 */
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KUBE_PROXY } from './enforce/clients-forwarding.js';
import {
  answered,
  counted,
  EMPTY_TABLES,
  filterTable as filter,
  twinPair,
} from './enforce/twin-pair.js';
import { nodeInNetns } from './enforce/netns-script.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { type Twin, waitFor } from './enforce/twins.js';
import { C, F } from './enforce/topology.js';

const missing = enforceSkipReason();

describe.skipIf(missing !== undefined)('nft_compat: enforcement as the kernel', () => {
  const pair = twinPair();

  /** As the pair's `bothAlike`, and the twins' counters compared too. */
  async function alike<T>(rules: string, observe: (twin: Twin) => Promise<T>): Promise<T> {
    const seen = await pair.bothAlike(rules, observe);
    const [kernel, enforced] = await Promise.all(pair.twins.map(counted));
    expect(enforced).toEqual(kernel);
    return seen;
  }

  /** C's datagrams to F's ports 53 and 5353 under `rules`: both twins see `outcomes`. */
  async function expectDatagrams(rules: string, outcomes: [string, string]): Promise<void> {
    const kernel = await alike(rules, async (twin) => [
      await twin.probe('C', 'udp', F, 53, waitFor(outcomes[0])),
      await twin.probe('C', 'udp', F, 5353, waitFor(outcomes[1])),
    ]);
    expect(kernel).toEqual(outcomes);
  }

  it('-m recent as `ufw limit` writes it: the 4th new connection within the window refused', async () => {
    // ufw's window is 30 s; an hour here, so that no hit ages out however slow the machine
    // (enforce/clients-host.ts, UFW_LIMIT_RULES).
    const rules = filter(
      '-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource',
      '-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 3600 --hitcount 4 --name DEFAULT --mask 255.255.255.255 --rsource -j REJECT --reject-with tcp-reset',
    );
    const kernel = await alike(rules, async (twin) => {
      const seen: string[] = [];
      for (let i = 0; i < 5; i++) seen.push(await twin.probe('C', 'tcp', F, 22, 10_000));
      return seen;
    });
    const ok = `connected:${C}`;
    expect(kernel).toEqual([ok, ok, ok, 'ECONNREFUSED', 'ECONNREFUSED']);
  }, 60_000);

  it('-m string: a datagram carrying the text dropped, the others not', async () => {
    // peer.mjs sends "probe" in every datagram.
    const rules = filter(
      '-A INPUT -p udp -m udp --dport 53 -m string --algo bm --string probe -j DROP',
      '-A INPUT -p udp -m udp --dport 5353 -m string --algo kmp --string absent -j DROP',
    );
    await expectDatagrams(rules, ['timeout', `reply:${C}`]);
  }, 60_000);

  it('-m hashlimit: the burst per source passes, then the rate', async () => {
    const rules = filter(
      '-A INPUT -p icmp -m icmp --icmp-type 8 -m hashlimit --hashlimit-upto 1/min --hashlimit-burst 3 --hashlimit-mode srcip --hashlimit-name pings -j ACCEPT',
      '-A INPUT -p icmp -m icmp --icmp-type 8 -j DROP',
    );
    const kernel = await alike(rules, (twin) => answered(twin, [F], 6));
    expect(kernel).toEqual([1, 2, 3]);
  }, 60_000);

  it('-j NFQUEUE: with --queue-bypass and no reader the packet goes on, without it dropped', async () => {
    const rules = filter(
      '-A INPUT -p udp -m udp --dport 53 -j NFQUEUE --queue-num 3 --queue-bypass',
      '-A INPUT -p udp -m udp --dport 5353 -j NFQUEUE --queue-num 4',
    );
    await expectDatagrams(rules, [`reply:${C}`, 'timeout']);
  }, 60_000);

  it('-j QUEUE (NF_QUEUE, queue 0) with no reader: dropped, counted', async () => {
    const rules = filter(
      '-A INPUT -p udp -m udp --dport 53 -j QUEUE',
      '-A INPUT -p icmp -j LOG --log-prefix "queue test: "',
    );
    await expectDatagrams(rules, ['timeout', `reply:${C}`]);
  }, 60_000);

  it('attacks: random info bytes, revisions and names; never half-enforced; rpfilter in ip raw', async () => {
    const script = fileURLToPath(new URL('./enforce/compat-attacks.mjs', import.meta.url));
    const seed = randomInt(2 ** 31);
    const stdout = await nodeInNetns(script, [String(seed)], 60_000);
    const out = JSON.parse(stdout);
    // xt_rpfilter's checkentry takes the table named raw: enforced as `ip raw`, marked.
    expect(out.rpfilter).toBeUndefined();
    expect(out.rpfilterNft).toMatch(
      /table ip raw \{\n\tcomment "bpfilter enforcement"[\s\S]*xt match rpfilter/,
    );
    expect(out.rpfilterNft).not.toContain('bpfilter_raw');
    // Each random rule is enforced, or refused with a typed error and the old table kept.
    for (const attempt of out.attempts) {
      const where = `seed ${seed}: ${attempt.what}`;
      if (attempt.error === undefined) {
        expect(attempt.compat, where).toBe(true);
        continue;
      }
      expect(attempt.error.code, where).toBe('UMD_HANDLER_ERROR');
      expect(attempt.error.handlerCode, where).toBeLessThan(0);
      expect(attempt.kept, where).toBe(true);
    }
    expect(out.answers).toBe(3);
  }, 60_000);

  it('kube-proxy with sessionAffinity ClientIP (-m recent beside -j DNAT, nat table): every connection to one endpoint', async () => {
    const [, bpfilter] = pair.twins as [Twin, Twin];
    const mark = bpfilter.serviceLog.length;
    try {
      const seen = await pair.both(KUBE_PROXY, async (twin) => {
        const outcomes: string[] = [];
        for (let i = 0; i < 6; i++)
          outcomes.push(await twin.probe('C', 'tcp', '10.96.0.10', 80, 10_000));
        const saved = await twin.iptables('iptables-legacy-save', ['-c', '-t', 'nat']);
        expect(saved.code, saved.stderr).toBe(0);
        // The first packet of each connection, DNATed by one endpoint's rule or the other's.
        const dnat = [...saved.stdout.matchAll(/^\[(\d+):\d+\] -A KUBE-SEP-\w+ .* -j DNAT/gm)];
        const recent = await twin.run('F', ['sh', '-c', 'cat /proc/net/xt_recent/KUBE-SEP-*']);
        return {
          outcomes,
          dnat: dnat.map((m) => Number(m[1])).sort((a, b) => a - b),
          recent: recent.stdout,
        };
      });
      for (const twin of seen) {
        // Masqueraded by F (KUBE-MARK-MASQ), sent to the same endpoint each time.
        expect(twin.outcomes).toEqual(Array(6).fill('connected:10.2.0.1'));
        expect(twin.dnat).toEqual([0, 6]);
        expect(twin.recent).toMatch(new RegExp(`^src=${C} `, 'm'));
      }
      // One transaction per table, in the text's order (mangle, nat, filter): each went over
      // netlink, the nat table's nft_compat and nat statements, the filter table's -m mark
      // and -m addrtype (native now; before, that table went through nft -j -f).
      expect(bpfilter.appliedSince(mark).slice(0, 3)).toEqual(['netlink', 'netlink', 'netlink']);
      expect(
        (await bpfilter.run('F', ['nft', 'list', 'table', 'ip', 'bpfilter_nat'])).stdout,
      ).toMatch(/xt match recent .* dnat to 10\.2\.0\.2:(8080|9000)/);
    } finally {
      await pair.both(EMPTY_TABLES, async () => {});
    }
  }, 60_000);
});
