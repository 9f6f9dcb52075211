/**
 * Behaviour parity of the packet extensions routers and clients use (limit, statistic nth,
 * length, ttl, owner, TCPMSS, TTL): the same rules in both twins (legacy tables, and bpfilter
 * enforcing), the same traffic, and what traffic shows must be the same: which echo requests
 * of a run are answered, which connections a user may open, the MSS the server sees in a SYN,
 * the TTL an echo reply arrives with.
 */
import { describe, expect, it } from 'vitest';
import {
  answered,
  filterTable as filter,
  mangleTable as mangle,
  twinPair,
} from './enforce/twin-pair.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import type { Twin } from './enforce/twins.js';
import { C, F, F2, S } from './enforce/topology.js';

const missing = enforceSkipReason();

describe.skipIf(missing !== undefined)('packet extensions: enforcement as the kernel', () => {
  const pair = twinPair();
  const alike = pair.bothAlike;

  it('-m limit: the burst passes, then the rate', async () => {
    const rules = filter(
      '-A INPUT -p icmp --icmp-type 8 -m limit --limit 1/min --limit-burst 3 -j ACCEPT',
      '-A INPUT -p icmp --icmp-type 8 -j DROP',
    );
    const kernel = await alike(rules, (twin) => answered(twin, [F], 6));
    expect(kernel).toEqual([1, 2, 3]);
  }, 60_000);

  it('-m statistic --mode nth: the same packets of each round', async () => {
    const rules = filter(
      '-A INPUT -p icmp --icmp-type 8 -m statistic --mode nth --every 3 --packet 1 -j DROP',
    );
    const kernel = await alike(rules, (twin) => answered(twin, [F], 7));
    expect(kernel).toEqual([1, 3, 4, 6, 7]);
  }, 60_000);

  it('-m length and -m ttl: by size and by hops left', async () => {
    const rules = filter(
      '-A INPUT -p icmp -m length --length 0:500 -j DROP',
      '-A FORWARD -p icmp -m ttl --ttl-lt 3 -j DROP',
    );
    const kernel = await alike(rules, async (twin) => [
      await answered(twin, ['-s', '100', F], 1),
      await answered(twin, ['-s', '1000', F], 1),
      await answered(twin, ['-t', '2', S], 1),
      await answered(twin, ['-t', '5', S], 1),
    ]);
    expect(kernel).toEqual([[], [1], [], [1]]);
  }, 60_000);

  it('-m owner in OUTPUT: one user refused, root not', async () => {
    const rules = filter(
      '-A OUTPUT -p tcp -m owner --uid-owner 65534 -j REJECT --reject-with tcp-reset',
    );
    const connect = (twin: Twin, user: string[]) =>
      twin.run('F', [...user, process.execPath, ...PEER_TCP(S, 80)]);
    const kernel = await alike(rules, async (twin) => [
      (await connect(twin, [])).stdout.trim(),
      (
        await connect(twin, ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'])
      ).stdout.trim(),
    ]);
    expect(kernel).toEqual(['connected:10.2.0.1', 'ECONNREFUSED']);
  }, 60_000);

  it('-j TCPMSS: the MSS the server sees in the SYN (set, and clamped to the path MTU)', async () => {
    const rules = mangle(
      '-A FORWARD -o fs -p tcp --dport 80 --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
      '-A FORWARD -p tcp --dport 8080 --tcp-flags SYN,RST SYN -m tcpmss --mss 1300:1500 -j TCPMSS --set-mss 1200',
    );
    // S records the MSS option of each SYN it gets; F's link to S has a smaller MTU.
    for (const twin of pair.twins) {
      const setup = await twin.run('S', ['nft', '-f', '-'], SEEN_MSS);
      expect(setup.code, setup.stderr).toBe(0);
      await twin.run('F', ['ip', 'link', 'set', 'fs', 'mtu', '1400']);
    }
    try {
      const kernel = await alike(rules, async (twin) => {
        for (const port of [80, 8080, 9000]) await twin.probe('C', 'tcp', S, port, 10_000);
        const listed = await twin.run('S', ['nft', 'list', 'set', 'ip', 'mss', 'seen']);
        return /elements = \{ ([^}]*) \}/.exec(listed.stdout)?.[1]?.trim();
      });
      // 1400 - 40 bytes of headers; 1200 set; 1460 (C's own, untouched) for port 9000.
      expect(kernel).toBe('1200, 1360, 1460');
    } finally {
      for (const twin of pair.twins) {
        await twin.run('F', ['ip', 'link', 'set', 'fs', 'mtu', '1500']);
        await twin.run('S', ['nft', 'delete', 'table', 'ip', 'mss']);
      }
    }
  }, 60_000);

  it('-j TTL --ttl-inc/--ttl-dec: the TTL an echo reply arrives with (clamped), counted once', async () => {
    // Forwarded replies (TTL 63 after F's hop) and F's own (64); one nft rule per old TTL.
    // (An empty filter table: the tests before leave rules that drop echo requests.)
    const rules =
      filter() +
      mangle(
        '-A FORWARD -i fs -p icmp -m icmp --icmp-type 0 -j TTL --ttl-inc 200',
        '-A FORWARD -i fc -p icmp -m icmp --icmp-type 0 -j TTL --ttl-dec 3',
        `-A POSTROUTING -s ${F} -o fc -p icmp -m icmp --icmp-type 0 -j TTL --ttl-dec 100`,
        `-A POSTROUTING -s ${F2} -o fs -p icmp -m icmp --icmp-type 0 -j TTL --ttl-inc 7`,
      );
    const ttl = async (twin: Twin, from: 'C' | 'S', host: string) => {
      const out = await twin.run(from, ['ping', '-n', '-c', '1', '-W', '5', host]);
      return /ttl=(\d+)/.exec(out.stdout)?.[1];
    };
    const kernel = await alike(rules, async (twin) => {
      const seen = [
        await ttl(twin, 'C', S),
        await ttl(twin, 'S', C),
        await ttl(twin, 'C', F),
        await ttl(twin, 'S', F2),
      ];
      const saved = await twin.iptables('iptables-legacy-save', ['-c', '-t', 'mangle']);
      return { seen, rules: saved.stdout.split('\n').filter((line) => / -A /.test(line)) };
    });
    expect(kernel.seen).toEqual(['255', '60', '0', '71']);
    expect(kernel.rules.map((line) => line.slice(0, 6))).toEqual(Array(4).fill('[1:84]'));
  }, 60_000);
});

const PEER = new URL('./enforce/peer.mjs', import.meta.url).pathname;
const PEER_TCP = (host: string, port: number) => [PEER, 'tcp', host, String(port), '5000'];

/** An nft table for S: the MSS option of every SYN it receives, kept in a set. */
const SEEN_MSS = `table ip mss {
  set seen { typeof tcp option maxseg size; flags dynamic; }
  chain in {
    type filter hook input priority 0;
    tcp flags syn / syn,ack add @seen { tcp option maxseg size }
  }
}
`;
