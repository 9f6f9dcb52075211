/**
 * Behaviour parity of the extensions the netlink batch now writes natively (marks, port
 * lists, address types; MARK, CT --notrack/--zone, NOTRACK): the same rules in both twins
 * (legacy tables, and bpfilter enforcing), the same traffic, the same outcomes and
 * `iptables-save -c` counters; and bpfilter's tables went over netlink (the service's
 * NODE_DEBUG=bpfilter step lines), a `-m recent` beside `-j CT --notrack` included.
 */
import { describe, expect, it } from 'vitest';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { C, F, S } from './enforce/topology.js';
import {
  counted,
  filterTable as filter,
  mangleTable as mangle,
  rawTable as raw,
  savedRules,
  twinPair,
} from './enforce/twin-pair.js';

const missing = enforceSkipReason();

describe.skipIf(missing !== undefined)(
  'native steering extensions: enforcement as the kernel',
  () => {
    const pair = twinPair();
    const alike = pair.bothAlikeThenEmpty;
    const bpfilter = () => pair.twins[1]!;

    it('CT --notrack and NOTRACK (beside -m recent): the flows are UNTRACKED, over netlink', async () => {
      const mark = bpfilter().serviceLog.length;
      const rules =
        raw(
          '-A PREROUTING -i fc -p udp -m udp --dport 53 -m recent --set --name dns --rsource -j CT --notrack',
          '-A PREROUTING -i fc -p udp -m udp --dport 5353 -j NOTRACK',
        ) +
        filter(
          '-A FORWARD -p udp -m conntrack --ctstate UNTRACKED -j ACCEPT',
          '-A FORWARD -p udp -m multiport --dports 53,5353 -j DROP',
        );
      const kernel = await alike(rules, async (twin) => ({
        dns: await twin.probe('C', 'udp', S, 53, 10_000),
        mdns: await twin.probe('C', 'udp', S, 5353, 10_000),
        recent: (await twin.run('F', ['cat', '/proc/net/xt_recent/dns'])).stdout.split(' ')[0],
        raw: await savedRules(twin, 'raw'),
        filter: await counted(twin),
      }));
      expect(kernel.dns).toBe(`reply:${C}`);
      expect(kernel.mdns).toBe(`reply:${C}`);
      expect(kernel.recent).toBe(`src=${C}`);
      expect(kernel.filter.join('\n')).toMatch(/^\[2:\d+\] -A FORWARD .*UNTRACKED/m);
      // raw, then filter (then the tables emptied after).
      expect(bpfilter().appliedSince(mark).slice(0, 2)).toEqual(['netlink', 'netlink']);
    }, 60_000);

    it("wg-quick's tables (-m addrtype, -m mark, CONNMARK): enforced over netlink, as the kernel", async () => {
      const mark = bpfilter().serviceLog.length;
      // What wg-quick(8) restores for a default route through wg0 (here fc stands for it).
      const comment = '-m comment --comment "wg-quick(8) rule for wg0"';
      const rules =
        raw(`-A PREROUTING -d ${F}/32 ! -i fc -m addrtype ! --src-type LOCAL ${comment} -j DROP`) +
        mangle(
          `-A PREROUTING -p udp ${comment} -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff`,
          `-A POSTROUTING -p udp -m mark --mark 0xca6c ${comment} -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff`,
        );
      const kernel = await alike(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', F, 80, 10_000),
          await twin.probe('S', 'tcp', F, 80),
          await twin.probe('C', 'udp', S, 53, 10_000),
        ],
        raw: await savedRules(twin, 'raw'),
        mangle: await savedRules(twin, 'mangle'),
      }));
      expect(kernel.outcomes).toEqual([`connected:${C}`, 'timeout', `reply:${C}`]);
      expect(kernel.raw[0]).toMatch(/^\[[1-9]\d*:\d+\] /);
      // raw, then mangle: both went over netlink (before, nft -j -f: -m addrtype, -m mark).
      expect(bpfilter().appliedSince(mark).slice(0, 2)).toEqual(['netlink', 'netlink']);
    }, 60_000);

    it('CT --zone: the flow is tracked in its zone (its reply then NEW in zone 0)', async () => {
      const rules =
        raw('-A PREROUTING -i fc -p udp -m udp --dport 5353 -j CT --zone 3') +
        filter('-A FORWARD -p udp -m udp --sport 5353 -m conntrack --ctstate NEW -j DROP');
      const kernel = await alike(rules, async (twin) => {
        const outcome = await twin.probe('C', 'udp', S, 5353);
        const table = (await twin.run('F', ['cat', '/proc/net/nf_conntrack'])).stdout;
        const zones = table
          .split('\n')
          .filter((line) => line.includes('port=5353'))
          .map((line) => /zone=(\d+)/.exec(line)?.[1] ?? '0')
          .sort();
        return { outcome, zones, filter: await counted(twin) };
      });
      // The flow's one entry is in zone 3; the reply, NEW in zone 0, was dropped before it
      // could be confirmed there (a zone 0 entry seen here before came from an earlier test).
      expect(kernel).toMatchObject({ outcome: 'timeout', zones: ['3'] });
      expect(kernel.filter).toContainEqual(
        expect.stringMatching(/^\[1:\d+\] -A FORWARD .*--sport 5353 .*-j DROP$/),
      );
    }, 60_000);

    it('MARK and -m mark: a mark set in mangle steers the filter verdict', async () => {
      const rules =
        mangle(
          '-A PREROUTING -i fc -p tcp -m tcp --dport 80 -j MARK --set-xmark 0x1/0xff',
          '-A PREROUTING -i fc -p tcp -m tcp --dport 8080 -j MARK --or-mark 0x100',
        ) +
        filter(
          '-A FORWARD -p tcp -m mark --mark 0x1/0xff -j REJECT --reject-with tcp-reset',
          '-A FORWARD -m mark ! --mark 0x0/0x100 -j ACCEPT',
          '-A FORWARD -p tcp -m tcp --dport 22 -j DROP',
        );
      const kernel = await alike(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', S, 80, 10_000),
          await twin.probe('C', 'tcp', S, 8080, 10_000),
          await twin.probe('C', 'tcp', S, 22),
        ],
        mangle: await savedRules(twin, 'mangle'),
        filter: await counted(twin),
      }));
      expect(kernel.outcomes).toEqual(['ECONNREFUSED', `connected:${C}`, 'timeout']);
    }, 60_000);

    it('-m addrtype and -m multiport: local and forwarded ports, sets and single ports', async () => {
      const rules = filter(
        '-A INPUT -p tcp -m addrtype --dst-type LOCAL -m multiport --dports 22,80 -j REJECT --reject-with tcp-reset',
        '-A FORWARD -p tcp -m addrtype ! --dst-type LOCAL,BROADCAST -m multiport --dports 8080,9000:9001 -j DROP',
        '-A FORWARD -p tcp -m multiport ! --dports 1:79 -m addrtype --src-type UNICAST -j ACCEPT',
      );
      const kernel = await alike(rules, async (twin) => ({
        outcomes: [
          await twin.probe('C', 'tcp', F, 22),
          await twin.probe('C', 'tcp', S, 22, 10_000),
          await twin.probe('C', 'tcp', S, 8080),
          await twin.probe('C', 'tcp', S, 9000),
          await twin.probe('C', 'tcp', S, 80, 10_000),
        ],
        filter: await counted(twin),
      }));
      expect(kernel.outcomes).toEqual([
        'ECONNREFUSED',
        `connected:${C}`,
        'timeout',
        'timeout',
        `connected:${C}`,
      ]);
    }, 60_000);
  },
);
