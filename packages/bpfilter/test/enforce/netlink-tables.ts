/**
 * The tables enforce-netlink.test.ts applies through nft and through the batch helper: one of
 * each statement the compiler covers, verdict maps and segments (and ones that span several
 * netlink messages), the packet extensions, nat targets, steering, raw and TPROXY.
 */

import { mangleTable, natTable, rawTable } from './save-tables.js';

/** A table as iptables-save text, or one iptables-legacy-restore encodes (`{ iptables }`). */
export type TableText = string | { iptables: string };

/** A filter table of `rules`, with user chains `chains`. */
export const table = (rules: string[], chains = ['web']) =>
  [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD DROP [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ...chains.map((c) => `:${c} - [0:0]`),
    ...rules,
    'COMMIT',
    '',
  ].join('\n');

export const FIXED = [
  '-A INPUT -s 1.2.3.4/32 -d 10.0.0.0/8 -i eth0 -o br+ -p tcp -m tcp --sport 1000:2000 --dport 22 -j DROP',
  '-A INPUT -s 1.0.2.0/255.0.255.0 ! -p udp -f -j web',
  '-A INPUT ! -s 10.16.0.0/12 ! -d 10.1.0.0/16 ! -i lo ! -o veth+ -j ACCEPT',
  '-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -g web',
  '-A INPUT -p tcp -m tcp ! --tcp-flags SYN,RST SYN ! --sport 5:6 ! --dport 1000:2000 -j REJECT --reject-with tcp-reset',
  '-A INPUT -p icmp -m icmp --icmp-type 8/0 -j RETURN',
  '-A INPUT -p icmp -m icmp ! --icmp-type 3 -j DROP',
  '-A INPUT -p udp -m udp --dport 53 -j ACCEPT',
  '-A INPUT -p udp -m udp --sport 1000 --dport 53 -j ACCEPT',
  '-A INPUT -p udp -j REJECT --reject-with icmp-host-prohibited',
  '-A INPUT -j REJECT --reject-with icmp-admin-prohibited',
  '-A web -p tcp -m tcp --dport 80 -j ACCEPT',
  '-A web -j RETURN',
  '-A web',
];

/** Eight or more exact keys of one shape: a verdict map (with jumps among its verdicts). */
export const MAPPED = Array.from(
  { length: 12 },
  (_, i) =>
    `-A INPUT -s 10.0.${i}.1/32 -i eth${i % 3} -p tcp -m tcp --dport ${100 + i} -j ${i % 4 === 0 ? 'web' : 'DROP'}`,
);

/**
 * Exact-key rules of three shapes that may match the same packets, interleaved: no map can
 * hold them, they become a segment (a chain of their own behind key-set lookups).
 */
export const SEGMENTED = Array.from({ length: 18 }, (_, i) =>
  i % 3 === 0
    ? `-A INPUT -i eth${i % 2} -p udp -m udp --dport ${100 + i} -j DROP`
    : i % 3 === 1
      ? `-A INPUT -s 10.0.${i}.1/32 -d 192.0.2.${i}/32 -j ACCEPT`
      : `-A INPUT -s 10.1.0.${i}/32 -p udp -m udp --sport ${i} -j DROP`,
);

/**
 * A map and a key set whose elements take more than one NEWSETELEM message (48 KiB each):
 * 1,000 map elements of about 130 bytes, 3,000 segment keys of 20 bytes.
 */
export const MAPPED_LARGE = Array.from(
  { length: 3000 },
  (_, i) =>
    `-A INPUT -s 10.${i >> 8}.${i & 255}.1/32 -i eth${i % 3} -p tcp -m tcp --dport ${1000 + i} -j ${i % 4 === 0 ? 'web' : 'DROP'}`,
);
export const SEGMENTED_LARGE = Array.from({ length: 3600 }, (_, i) =>
  i % 6 === 0
    ? `-A INPUT -i eth${i % 2} -p udp -m udp --dport ${i} -j DROP`
    : `-A INPUT -s 10.${i >> 8}.${i & 255}.1/32 -d 192.0.2.${i % 200}/32 -j ACCEPT`,
);

/**
 * Prefixes and port ranges: interval maps. Source prefixes (adjacent ones, one from 0, one to
 * the last address, jumps among the verdicts) until a prefix overlaps one of them; prefixes
 * with port ranges (a concatenation: pipapo); UDP port ranges, the last to 65535.
 */
export const INTERVALS = [
  ...Array.from(
    { length: 10 },
    (_, i) => `-A INPUT -s 10.${i >> 1}.${(i & 1) * 128}.0/25 -j ${i % 3 === 0 ? 'web' : 'DROP'}`,
  ),
  '-A INPUT -s 255.255.255.0/24 -j DROP',
  '-A INPUT -s 0.0.0.0/8 -j DROP',
  '-A INPUT -s 10.0.0.0/16 -j ACCEPT',
  ...Array.from(
    { length: 8 },
    (_, i) =>
      `-A INPUT -s 172.16.${i}.0/24 -p tcp -m tcp --dport ${1000 * i + 1}:${1000 * i + 999} -j DROP`,
  ),
  ...Array.from(
    { length: 8 },
    (_, i) => `-A INPUT -p udp -m udp --dport ${i * 100}:${i * 100 + 50} -j ACCEPT`,
  ),
  '-A INPUT -p udp -m udp --dport 60000:65535 -j DROP',
];

/**
 * REJECT bans of three ICMP types in one verdict map (goto a chain that rejects), a
 * tcp-reset ban that stays a rule, and prefixes rejected through an interval map.
 */
export const REJECTED = [
  ...Array.from(
    { length: 12 },
    (_, i) =>
      `-A INPUT -s 10.9.${i}.1/32 -j ${i % 3 === 0 ? 'DROP' : `REJECT --reject-with ${i % 3 === 1 ? 'icmp-port-unreachable' : 'icmp-admin-prohibited'}`}`,
  ),
  '-A INPUT -s 10.9.99.1/32 -p tcp -j REJECT --reject-with tcp-reset',
  ...Array.from(
    { length: 8 },
    (_, i) => `-A INPUT -s 10.8.${i}.0/24 -j REJECT --reject-with icmp-proto-unreachable`,
  ),
];

/** The packet extensions real clients use (limit, statistic, ...; TCPMSS, CONNMARK, DSCP). */
export const PACKET = [
  '-A INPUT -m limit --limit 3/min --limit-burst 10 -j ACCEPT',
  '-A INPUT -m limit --limit 7/sec -j ACCEPT',
  '-A INPUT -m statistic --mode random --probability 0.25 -j ACCEPT',
  '-A INPUT -m statistic --mode random ! --probability 0.5 -j DROP',
  '-A INPUT -m statistic --mode nth --every 3 --packet 1 -j ACCEPT',
  '-A INPUT -m statistic --mode nth ! --every 5 --packet 2 -j ACCEPT',
  '-A INPUT -m length --length 100:200 -j ACCEPT',
  '-A INPUT -m length ! --length 1000 -j DROP',
  '-A INPUT -m length ! --length 1000:2000 -j DROP',
  '-A INPUT -m ttl --ttl-lt 5 -j DROP',
  '-A INPUT -m ttl --ttl-gt 64 -j DROP',
  '-A INPUT -m ttl ! --ttl-eq 64 -j DROP',
  '-A INPUT -m pkttype --pkt-type multicast -j DROP',
  '-A INPUT -m pkttype ! --pkt-type host -j DROP',
  '-A INPUT -m mac --mac-source 02:00:00:aa:bb:cc -j ACCEPT',
  '-A INPUT -m mac ! --mac-source 02:00:00:aa:bb:cc -j DROP',
  '-A INPUT -m tos --tos 0x10 -j ACCEPT',
  '-A INPUT -m tos ! --tos 0x08/0x0c -j ACCEPT',
  '-A INPUT -m dscp --dscp 0x2e -j ACCEPT',
  '-A INPUT -m dscp ! --dscp 0 -j ACCEPT',
  '-A INPUT -p tcp -m tcpmss --mss 1000:1500 -j ACCEPT',
  '-A INPUT -p tcp -m tcpmss --mss 1460 -j ACCEPT',
  '-A OUTPUT -m owner --uid-owner 1000-2000 --gid-owner 100 -j ACCEPT',
  '-A OUTPUT -m owner --uid-owner 0 -j ACCEPT',
  '-A INPUT -m connmark --mark 0x1/0xff -j ACCEPT',
  '-A INPUT -m connmark ! --mark 0x7 -j ACCEPT',
  '-A INPUT -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  '-A INPUT -m conntrack --ctstate NEW,SNAT -j web',
  '-A INPUT -m conntrack ! --ctstate INVALID,UNTRACKED,DNAT -j ACCEPT',
  '-A INPUT -m conntrack --ctstate DNAT -j ACCEPT',
];
export const PACKET_MANGLE = mangleTable(
  '-A PREROUTING -j CONNMARK --restore-mark',
  '-A PREROUTING -j CONNMARK --save-mark',
  '-A PREROUTING -j CONNMARK --set-xmark 0x10/0xf0',
  '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
  '-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400',
  '-A POSTROUTING -j DSCP --set-dscp 0x2e',
  '-A POSTROUTING -j TTL --ttl-set 64',
  '-A POSTROUTING -o eth0 -j TTL --ttl-inc 3',
  '-A POSTROUTING -o eth1 -j TTL --ttl-dec 250',
  '-A POSTROUTING -j CLASSIFY --set-class 1:10',
);

/** The nat targets with each of their options nft has a form for. */
export const NAT = natTable(
  '-A PREROUTING -d 10.0.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.1.0.2:8080',
  '-A PREROUTING -i eth0 -p udp -m udp --dport 53 -j DNAT --to-destination 10.1.0.2-10.1.0.9:5300-5400 --random --persistent',
  '-A PREROUTING -d 10.0.0.2/32 -j DNAT --to-destination 10.1.0.3',
  '-A PREROUTING -p tcp -m tcp --dport 8000 -j REDIRECT --to-ports 8080',
  '-A PREROUTING -p udp -m udp --dport 9000 -j REDIRECT --to-ports 9000-9100 --random',
  '-A PREROUTING -p tcp -j REDIRECT',
  '-A OUTPUT -d 10.0.0.3/32 -p tcp -j DNAT --to-destination 127.0.0.1:22',
  '-A OUTPUT -p udp -m udp --dport 123 -j REDIRECT --to-ports 1123',
  '-A POSTROUTING -s 10.1.0.0/24 -o eth1 -j MASQUERADE',
  '-A POSTROUTING -s 10.2.0.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535 --random-fully',
  '-A POSTROUTING -s 10.3.0.0/24 -j MASQUERADE --random',
  '-A POSTROUTING -s 10.4.0.0/24 -p udp -j SNAT --to-source 192.0.2.1:4000',
  '-A POSTROUTING -s 10.5.0.0/24 -j SNAT --to-source 192.0.2.1-192.0.2.8 --persistent',
  '-A POSTROUTING -s 10.6.0.0/24 -p tcp -j SNAT --to-source 192.0.2.9:1000-2000 --random-fully',
);

/** Marks, port lists, address types (with and without anonymous sets), MARK. */
export const STEERING = [
  '-A INPUT -m mark --mark 0x10/0xf0 -j ACCEPT',
  '-A INPUT -m mark ! --mark 0x7 -j DROP',
  '-A INPUT -p tcp -m multiport --dports 22,80,1000:2000 -j ACCEPT',
  '-A INPUT -p udp -m multiport ! --sports 53,67 -j ACCEPT',
  '-A INPUT -p tcp -m multiport --dports 443 -j ACCEPT',
  '-A INPUT -p tcp -m multiport ! --dports 8000:9000 -j DROP',
  '-A INPUT -p tcp -m multiport --dports 0:10,65000:65535,12,11 -j ACCEPT',
  '-A INPUT -p udp -m multiport --sports 5:6 -m multiport --dports 7,9 -j ACCEPT',
  '-A INPUT -m addrtype --dst-type LOCAL,BROADCAST ! --src-type MULTICAST -j ACCEPT',
  '-A INPUT -m addrtype --dst-type LOCAL -j ACCEPT',
  '-A INPUT -m addrtype ! --src-type LOCAL,UNICAST,ANYCAST -j DROP',
  '-A OUTPUT -j MARK --set-xmark 0x5/0xff',
  '-A OUTPUT -j MARK --or-mark 0x100',
  '-A OUTPUT -j MARK --set-mark 1',
];
/** The raw table's conntrack templates (notrack and zones) and reverse-path checks. */
export const RAW = rawTable(
  '-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack',
  '-A PREROUTING -i eth0 -j CT --zone 3',
  '-A PREROUTING -i eth1 -j CT --zone-orig 4',
  '-A OUTPUT -o eth1 -j CT --zone-reply 5',
  '-A OUTPUT -p udp -m udp --sport 53 -j NOTRACK',
  '-A OUTPUT -m mark --mark 0x1 -j MARK --and-mark 0xff',
  '-A PREROUTING -i fs+ -m rpfilter --validmark --invert -j DROP',
  '-A PREROUTING -m rpfilter --loose -j ACCEPT',
);

/** TPROXY (both revisions' options): two nft rules each, the second dropping; TCPOPTSTRIP. */
export const TPROXY = mangleTable(
  '-A PREROUTING -p tcp -m tcp --dport 80 -j TPROXY --on-port 9999 --tproxy-mark 0x1/0x1',
  '-A PREROUTING -d 10.0.0.1/32 -p udp -j TPROXY --on-port 53 --on-ip 127.0.0.1',
  '-A PREROUTING -p tcp -m multiport --dports 443,8443 -j TPROXY --on-port 0 --on-ip 127.0.0.2 --tproxy-mark 0x5/0xff',
  '-A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options sack-permitted,timestamp,200',
  '-A POSTROUTING -p udp -j ECN --ecn-ip-ect 1',
);

/**
 * Runs of rules that only count or mark (counted sets): per-host accounting by source and by
 * destination with no target, a run of prefixes with no target (an interval set), hosts
 * marked each their own (a map of marks), a list of hosts marked alike, port keys with no
 * target; a mark with a mask stays a rule. (LOGGED has runs of LOG rules.)
 */
export const COUNTED = table(
  [
    '-A INPUT -j ACCT',
    ...Array.from({ length: 10 }, (_, i) => `-A ACCT -s 10.5.0.${i + 1}/32`),
    ...Array.from({ length: 10 }, (_, i) => `-A ACCT -d 10.5.0.${i + 1}/32`),
    ...Array.from({ length: 9 }, (_, i) => `-A INPUT -s 10.6.${i}.0/24`),
    ...Array.from(
      { length: 9 },
      (_, i) => `-A INPUT -s 10.8.0.${i + 1}/32 -j MARK --set-mark ${(i % 3) + 1}`,
    ),
    ...Array.from({ length: 8 }, (_, i) => `-A INPUT -d 10.8.2.${i + 1}/32 -j MARK --set-mark 5`),
    '-A INPUT -d 10.8.3.1/32 -j MARK --set-xmark 0x5/0xff',
    ...Array.from({ length: 8 }, (_, i) => `-A INPUT -p tcp -m tcp --dport ${8000 + i}`),
  ],
  ['web', 'ACCT'],
);

/**
 * LOG and NFLOG: every LOG option and level, NFLOG's, `-m limit` before each, a run of hosts
 * logged alike (a counted set and one `log`) then dropped, and ufw's logging chains.
 */
export const LOGGED = table([
  '-A INPUT -j LOG',
  '-A INPUT -p tcp -j LOG --log-prefix "all: " --log-level 7 --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode',
  '-A INPUT -j LOG --log-level 0 --log-ip-options',
  '-A INPUT -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW BLOCK] "',
  '-A INPUT -m limit --limit 10/min -j NFLOG --nflog-group 100',
  '-A INPUT -j NFLOG --nflog-group 2 --nflog-prefix x: --nflog-size 100 --nflog-threshold 5',
  '-A INPUT -j NFLOG --nflog-prefix "a b"',
  ...Array.from({ length: 12 }, (_, i) => [
    `-A INPUT -s 10.9.0.${i + 1}/32 -j LOG --log-prefix "bl: "`,
    `-A INPUT -s 10.9.0.${i + 1}/32 -j DROP`,
  ]).flat(),
  ...Array.from({ length: 8 }, (_, i) => `-A web -d 10.9.1.${i + 1}/32 -j LOG --log-level 4`),
  '-A web -j DROP',
]);
