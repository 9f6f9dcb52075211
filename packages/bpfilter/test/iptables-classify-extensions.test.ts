/**
 * Classification of the matches and targets real rulesets use (Docker, ufw, fail2ban,
 * kube-proxy): each rule below is written by Debian's iptables-legacy-restore through
 * `bpfilter exec` (so the extension bytes are exactly iptables'), then packets are
 * classified through the service. One `it` per extension.
 */
import type { Bpfilter, PacketDescription } from '@umd/bpfilter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { missingPrerequisite } from './iptables/namespace.js';
import { type RestoredService, restoredService } from './iptables/restored-service.js';

const missing = missingPrerequisite();

// Each rule matches on its own destination port range so packets reach the rule under test.
const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -m comment --comment "web ports" -j ACCEPT
-A INPUT -p udp -m multiport --sports 53,123 -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m state --state INVALID -j DROP
-A INPUT -m addrtype --dst-type BROADCAST -j REJECT --reject-with icmp-host-prohibited
-A INPUT -p tcp -m tcp --dport 21 -m addrtype --src-type LOCAL -j ACCEPT
-A INPUT -m mark --mark 0x4000/0x4000 -j ACCEPT
-A INPUT -m connmark --mark 0x7 -j ACCEPT
-A INPUT -m iprange --src-range 192.0.2.10-192.0.2.20 -j ACCEPT
-A INPUT -p icmp -m limit --limit 6/min --limit-burst 2 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 9 -j MARK --set-xmark 0x4000/0x4000
-A INPUT -p tcp -m tcp --dport 9 -m mark --mark 0x4000/0x4000 -j REJECT
-A INPUT -p tcp -m tcp --dport 10 -j CONNMARK --set-xmark 0x5/0xffffffff
-A INPUT -p tcp -m tcp --dport 10 -m connmark --mark 0x5 -j REJECT
-A INPUT -p tcp -m tcp --dport 11 -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff
-A INPUT -p tcp -m tcp --dport 11 -m mark --mark 0x3 -j REJECT
-A INPUT -p tcp -m tcp --dport 12 -m conntrack --ctstate NEW --ctstatus ASSURED -j REJECT
-A INPUT -p tcp -m tcp --dport 13 -m conntrack --ctstate DNAT -j REJECT
-A INPUT -p tcp -m tcp --dport 14 -m conntrack ! --ctstate NEW -j REJECT
-A INPUT -p tcp -m tcp --dport 15 -m string --algo bm --string "GET" -j REJECT
COMMIT
`;

const BASE: PacketDescription = {
  source: '198.51.100.7',
  destination: '192.0.2.1',
  protocol: 'tcp',
  sourcePort: 40000,
  destinationPort: 5,
  ctState: 'NEW',
};

describe.skipIf(missing !== undefined)(
  `classification of the extensions real rulesets use${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let api: Bpfilter;
    let restored: RestoredService | undefined;
    beforeAll(async () => {
      restored = await restoredService(RULES);
      ({ api } = restored);
    }, 120_000);
    afterAll(async () => {
      await restored?.stop();
    });

    const classify = async (packet: Partial<PacketDescription>) => {
      const result = await api.classify('filter', 'INPUT', { ...BASE, ...packet });
      return [result.verdict, result.rule.rule ?? 'policy', result.rejectWith].filter(
        (x) => x !== undefined,
      );
    };

    it('multiport (ports and ranges, --dports and --sports) and comment', async () => {
      expect(await classify({ destinationPort: 443 })).toEqual(['ACCEPT', 1]);
      expect(await classify({ destinationPort: 8042 })).toEqual(['ACCEPT', 1]);
      expect(await classify({ destinationPort: 8081 })).toEqual(['DROP', 'policy']);
      expect(await classify({ protocol: 'udp', sourcePort: 123 })).toEqual(['ACCEPT', 2]);
      expect(await classify({ protocol: 'udp', sourcePort: 124 })).toEqual(['DROP', 'policy']);
      // No ports in a non-first fragment.
      expect(await classify({ destinationPort: 443, fragment: true })).toEqual(['DROP', 'policy']);
    });

    it('conntrack --ctstate and state --state', async () => {
      expect(await classify({ ctState: 'ESTABLISHED' })).toEqual(['ACCEPT', 3]);
      expect(await classify({ ctState: 'RELATED' })).toEqual(['ACCEPT', 3]);
      expect(await classify({ ctState: 'INVALID' })).toEqual(['DROP', 4]);
      expect(await classify({ ctState: 'UNTRACKED' })).toEqual(['DROP', 'policy']);
      expect(await classify({ destinationPort: 13, ctState: ['NEW', 'DNAT'] })).toEqual([
        'REJECT',
        18,
        'icmp-port-unreachable',
      ]);
      expect(await classify({ destinationPort: 13 })).toEqual(['DROP', 'policy']);
      expect(await classify({ destinationPort: 14, ctState: 'UNTRACKED' })).toEqual([
        'REJECT',
        19,
        'icmp-port-unreachable',
      ]);
      expect(await classify({ destinationPort: 14 })).toEqual(['DROP', 'policy']);
    });

    it('conntrack --ctstatus', async () => {
      expect(await classify({ destinationPort: 12, ctStatus: ['ASSURED'] })).toEqual([
        'REJECT',
        17,
        'icmp-port-unreachable',
      ]);
      expect(await classify({ destinationPort: 12, ctStatus: ['SEEN_REPLY'] })).toEqual([
        'DROP',
        'policy',
      ]);
    });

    it('addrtype: broadcast and multicast from the address, LOCAL from localAddresses and 127/8', async () => {
      expect(await classify({ destination: '255.255.255.255', protocol: 'udp' })).toEqual([
        'REJECT',
        5,
        'icmp-host-prohibited',
      ]);
      expect(await classify({ destinationPort: 21, source: '127.0.0.1' })).toEqual(['ACCEPT', 6]);
      expect(
        await classify({ destinationPort: 21, source: '192.0.2.1', localAddresses: ['192.0.2.1'] }),
      ).toEqual(['ACCEPT', 6]);
      expect(await classify({ destinationPort: 21 })).toEqual(['DROP', 'policy']);
    });

    it('mark and connmark matches', async () => {
      expect(await classify({ mark: 0x4001 })).toEqual(['ACCEPT', 7]);
      expect(await classify({ mark: 0x0fff })).toEqual(['DROP', 'policy']);
      expect(await classify({ connmark: 7 })).toEqual(['ACCEPT', 8]);
      // No conntrack entry: no connection mark.
      expect(await classify({ connmark: 7, ctState: 'UNTRACKED' })).toEqual(['DROP', 'policy']);
    });

    it('iprange', async () => {
      expect(await classify({ source: '192.0.2.15' })).toEqual(['ACCEPT', 9]);
      expect(await classify({ source: '192.0.2.21' })).toEqual(['DROP', 'policy']);
    });

    it('limit: a burst of 2, then one packet every 10 s of packet time', async () => {
      const ping = (time: number) =>
        classify({ protocol: 'icmp', icmpType: 8, time, destinationPort: undefined });
      const t = 1_800_000_000_000;
      expect(await ping(t)).toEqual(['ACCEPT', 10]);
      expect(await ping(t + 1)).toEqual(['ACCEPT', 10]);
      expect(await ping(t + 2)).toEqual(['DROP', 'policy']);
      expect(await ping(t + 5_000)).toEqual(['DROP', 'policy']);
      expect(await ping(t + 10_010)).toEqual(['ACCEPT', 10]);
      expect(await ping(t + 10_020)).toEqual(['DROP', 'policy']);
    });

    it('MARK and CONNMARK targets change the packet and the walk goes on', async () => {
      expect(await classify({ destinationPort: 9 })).toEqual([
        'REJECT',
        12,
        'icmp-port-unreachable',
      ]);
      expect(await classify({ destinationPort: 10 })).toEqual([
        'REJECT',
        14,
        'icmp-port-unreachable',
      ]);
      // --restore-mark copies the connection's mark to the packet.
      expect(await classify({ destinationPort: 11, connmark: 3 })).toEqual([
        'REJECT',
        16,
        'icmp-port-unreachable',
      ]);
      expect(await classify({ destinationPort: 11, connmark: 4 })).toEqual(['DROP', 'policy']);
      // Counters: both rules of port 9 counted the packet.
      const input = (await api.listTable('filter')).chains[0]!;
      expect(input.rules[10]!.counters?.packets).toBe(1n);
      expect(input.rules[11]!.counters?.packets).toBe(1n);
    });

    it('an extension on the documented list stays CANNOT_EVALUATE, and counts nothing', async () => {
      const result = await api.classify('filter', 'INPUT', { ...BASE, destinationPort: 15 });
      expect(result).toMatchObject({
        verdict: 'CANNOT_EVALUATE',
        rule: { chain: 'INPUT', rule: 20 },
        cannotEvaluate: { kind: 'match', name: 'string' },
        counters: [],
      });
    });
  },
);
