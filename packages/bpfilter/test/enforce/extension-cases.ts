/**
 * The extensions of enforce-extensions.test.ts, as iptables arguments: those enforcement
 * translates (with the nft rule nftables users would write), those it runs through nft_compat,
 * and those it refuses by name.
 */

/**
 * [iptables arguments, the nft rule it must become (counter and verdict included); the rules,
 * a line each, of one that takes several].
 */
export const CASES: [string, string][] = [
  [
    '-A INPUT -p tcp -m multiport --dports 22,80,1000:2000 -j ACCEPT',
    'tcp dport { 22, 80, 1000-2000 } counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -p udp -m multiport ! --sports 53,67 -j ACCEPT',
    'udp sport != { 53, 67 } counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m mark --mark 0x10/0xf0 -j ACCEPT',
    'meta mark & 0x000000f0 == 0x00000010 counter packets 0 bytes 0 accept',
  ],
  ['-A INPUT -m mark ! --mark 7 -j DROP', 'meta mark != 0x00000007 counter packets 0 bytes 0 drop'],
  [
    '-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 10.1.0.0-10.1.0.255 -j ACCEPT',
    'ip saddr 10.0.0.1-10.0.0.9 ip daddr != 10.1.0.0-10.1.0.255 counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m addrtype --dst-type LOCAL,BROADCAST ! --src-type MULTICAST -j ACCEPT',
    'fib saddr type != multicast fib daddr type { local, broadcast } counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m conntrack ! --ctstate NEW,INVALID -j ACCEPT',
    'ct state ! invalid,new counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    [
      'ct state invalid,untracked counter packets 0 bytes 0 drop',
      'ct state ! established,related ct status ! dnat counter packets 0 bytes 0 drop',
    ].join('\n'),
  ],
  [
    '-A INPUT -m conntrack --ctstate NEW,SNAT -j ACCEPT',
    [
      'ct state new counter packets 0 bytes 0 accept',
      'ct state ! new ct status snat counter packets 0 bytes 0 accept',
    ].join('\n'),
  ],
  [
    '-A INPUT -m conntrack --ctstate UNTRACKED -j ACCEPT',
    'ct state untracked counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m state ! --state ESTABLISHED -j ACCEPT',
    'ct state ! established counter packets 0 bytes 0 accept',
  ],
  ['-A INPUT -m comment --comment hello -j ACCEPT', 'counter packets 0 bytes 0 accept'],
  [
    '-A INPUT -j MARK --set-xmark 0x5/0xff',
    'counter packets 0 bytes 0 meta mark set meta mark & 0xffffff05 | 0x00000005',
  ],
  [
    '-A INPUT -j MARK --or-mark 0x100',
    'counter packets 0 bytes 0 meta mark set meta mark | 0x00000100',
  ],
  [
    '-A INPUT -j LOG --log-level debug --log-prefix x: --log-tcp-sequence --log-uid',
    'counter packets 0 bytes 0 log prefix "x:" level debug flags tcp sequence flags skuid',
  ],
  [
    '-t raw -A PREROUTING -p udp --dport 53 -j CT --notrack',
    'udp dport 53 counter packets 0 bytes 0 notrack',
  ],
  [
    '-t raw -A OUTPUT -p udp --sport 53 -j NOTRACK',
    'udp sport 53 counter packets 0 bytes 0 notrack',
  ],
  [
    '-t raw -A PREROUTING -i eth0 -j CT --zone 3',
    'iifname "eth0" counter packets 0 bytes 0 ct zone set 3',
  ],
  [
    '-t raw -A PREROUTING -i eth1 -j CT --zone-orig 4',
    'iifname "eth1" counter packets 0 bytes 0 ct original zone set 4',
  ],
  [
    '-t raw -A OUTPUT -o eth1 -j CT --zone-reply 5',
    'oifname "eth1" counter packets 0 bytes 0 ct reply zone set 5',
  ],
  [
    '-t mangle -A POSTROUTING -p tcp --dport 22 -j TOS --set-tos 0x10/0x3f',
    'tcp dport 22 counter packets 0 bytes 0 @nh,0,16 set @nh,0,16 & 0xffd0 | 0x10',
  ],
  [
    '-t mangle -A POSTROUTING -j TOS --set-tos 0x08',
    'counter packets 0 bytes 0 @nh,0,16 set @nh,0,16 & 0xff00 ^ 0x8',
  ],
  [
    '-t mangle -A PREROUTING -p tcp --dport 80 -j TPROXY --on-port 9999 --tproxy-mark 0x1/0x1',
    [
      'tcp dport 80 tproxy to :9999 counter packets 0 bytes 0 meta mark set meta mark | 0x00000001 accept',
      'tcp dport 80 counter packets 0 bytes 0 drop',
    ].join('\n'),
  ],
  [
    '-t mangle -A POSTROUTING -p tcp -j TCPOPTSTRIP --strip-options sack-permitted,timestamp',
    'ip protocol tcp counter packets 0 bytes 0 reset tcp option sack-perm reset tcp option timestamp',
  ],
  [
    '-t mangle -A POSTROUTING -j TOS --or-tos 0x04',
    'counter packets 0 bytes 0 @nh,0,16 set @nh,0,16 | 0x4',
  ],
  [
    '-t mangle -A OUTPUT -j MARK --set-mark 1',
    'counter packets 0 bytes 0 meta mark set meta mark & 0x00000001 | 0x00000001',
  ],
  [
    '-t mangle -A POSTROUTING -j MARK --and-mark 0xff',
    'counter packets 0 bytes 0 meta mark set meta mark & 0x000000ff',
  ],
  [
    '-t mangle -A POSTROUTING -j MARK --xor-mark 0x4000',
    'counter packets 0 bytes 0 meta mark set meta mark ^ 0x00004000',
  ],
  [
    '-A INPUT -m limit --limit 3/min --limit-burst 10 -j ACCEPT',
    'limit rate 3/minute burst 10 packets counter packets 0 bytes 0 accept',
  ],
  // 7/s is stored as one packet every 1428/10000 s: 4,235,294.1 a week.
  [
    '-A INPUT -m limit --limit 7/sec -j ACCEPT',
    'limit rate 4235294/week counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m statistic --mode random --probability 0.25 -j ACCEPT',
    'meta random < 1073741824 counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m statistic --mode random ! --probability 0.5 -j DROP',
    'meta random >= 2147483648 counter packets 0 bytes 0 drop',
  ],
  [
    '-A INPUT -m statistic --mode nth --every 3 --packet 1 -j ACCEPT',
    'numgen inc mod 3 1 counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m length --length 100:200 -j ACCEPT',
    'ip length 100-200 counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m length ! --length 1000 -j DROP',
    'ip length != 1000 counter packets 0 bytes 0 drop',
  ],
  ['-A INPUT -m ttl --ttl-lt 5 -j DROP', 'ip ttl < 5 counter packets 0 bytes 0 drop'],
  ['-A INPUT -m ttl --ttl-gt 64 -j DROP', 'ip ttl > 64 counter packets 0 bytes 0 drop'],
  ['-A INPUT -m ttl ! --ttl-eq 64 -j DROP', 'ip ttl != 64 counter packets 0 bytes 0 drop'],
  [
    '-A INPUT -m pkttype --pkt-type multicast -j DROP',
    'meta pkttype multicast counter packets 0 bytes 0 drop',
  ],
  [
    '-A INPUT -m pkttype ! --pkt-type host -j DROP',
    'meta pkttype != host counter packets 0 bytes 0 drop',
  ],
  [
    '-A INPUT -m mac ! --mac-source 02:00:00:aa:bb:cc -j DROP',
    'ether saddr != 02:00:00:aa:bb:cc counter packets 0 bytes 0 drop',
  ],
  [
    '-A INPUT -m tos --tos 0x10 -j ACCEPT',
    'ip dscp 0x04 ip ecn not-ect counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m tos ! --tos 0x08/0x0c -j ACCEPT',
    '@nh,8,8 & 0xc != 0x8 counter packets 0 bytes 0 accept',
  ],
  ['-A INPUT -m dscp --dscp 0x2e -j ACCEPT', 'ip dscp ef counter packets 0 bytes 0 accept'],
  [
    '-A INPUT -p tcp -m tcpmss --mss 1000:1500 -j ACCEPT',
    'tcp option maxseg size 1000-1500 counter packets 0 bytes 0 accept',
  ],
  [
    '-A OUTPUT -m owner --uid-owner 1000-2000 --gid-owner 100 -j ACCEPT',
    'meta skuid 1000-2000 meta skgid 100 counter packets 0 bytes 0 accept',
  ],
  [
    '-A INPUT -m connmark --mark 0x1/0xff -j ACCEPT',
    'ct mark & 0x000000ff == 0x00000001 counter packets 0 bytes 0 accept',
  ],
  [
    '-t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu',
    'tcp flags syn / syn,rst counter packets 0 bytes 0 tcp option maxseg size set rt mtu',
  ],
  [
    '-t mangle -A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400',
    'tcp flags syn / syn,rst counter packets 0 bytes 0 tcp option maxseg size set 1400',
  ],
  [
    '-t mangle -A PREROUTING -j CONNMARK --set-xmark 0x10/0xf0',
    'counter packets 0 bytes 0 ct mark set ct mark & 0xffffff1f | 0x00000010',
  ],
  [
    '-t mangle -A PREROUTING -j CONNMARK --save-mark',
    'counter packets 0 bytes 0 ct mark set meta mark',
  ],
  [
    '-t mangle -A PREROUTING -j CONNMARK --restore-mark',
    'counter packets 0 bytes 0 meta mark set ct mark',
  ],
  ['-t mangle -A POSTROUTING -j DSCP --set-dscp 0x2e', 'counter packets 0 bytes 0 ip dscp set ef'],
  ['-t mangle -A POSTROUTING -j TTL --ttl-set 64', 'counter packets 0 bytes 0 ip ttl set 64'],
  [
    '-t mangle -A POSTROUTING -o eth0 -j TTL --ttl-inc 250',
    [
      'oifname "eth0" ip ttl 5-255 counter packets 0 bytes 0 ip ttl set 255',
      'oifname "eth0" ip ttl 4 counter packets 0 bytes 0 ip ttl set 254',
      'oifname "eth0" ip ttl 0 counter packets 0 bytes 0 ip ttl set 250',
    ].join('\n'),
  ],
  [
    '-t mangle -A POSTROUTING -j CLASSIFY --set-class 1:10',
    'counter packets 0 bytes 0 meta priority set 1:10',
  ],
  [
    '-A INPUT -j NFLOG --nflog-group 2 --nflog-prefix x: --nflog-size 100 --nflog-threshold 5',
    'counter packets 0 bytes 0 log prefix "x:" group 2 snaplen 100 queue-threshold 5',
  ],
];

/**
 * Extensions nft has no form for (or options of them), enforced through nft_compat: the
 * kernel's own xt module in the nft rule. [iptables arguments, what nft lists for the rule].
 */
export const COMPAT: [string, string][] = [
  ['-A INPUT -m recent --update --seconds 30 --hitcount 6 --name x -j DROP', 'xt match recent'],
  ['-A INPUT -m hashlimit --hashlimit-above 5/s --hashlimit-name x -j DROP', 'xt match hashlimit'],
  ['-A INPUT -m string --algo bm --string abc -j DROP', 'xt match string'],
  ['-A INPUT -p tcp -m tcp --tcp-option 2 -j DROP', 'counter packets 0 bytes 0 drop'],
  ['-A INPUT -p tcp -m tcpmss ! --mss 1000 -j DROP', 'tcp option maxseg size != 1000'],
  ['-A OUTPUT -m owner ! --uid-owner 0 -j DROP', 'skuid != 0'],
  ['-A OUTPUT -m owner --socket-exists -j DROP', 'counter packets 0 bytes 0 drop'],
  ['-t mangle -A PREROUTING -j CONNMARK --save-mark --mask 0xff', 'ct mark set mark and 0xff'],
  ['-A INPUT -j NFQUEUE --queue-num 3 --queue-bypass', 'queue num 3 bypass'],
  ['-A INPUT -p tcp -m multiport --ports 22,80 -j ACCEPT', 'counter packets 0 bytes 0 accept'],
  ['-A INPUT -m conntrack --ctproto tcp -j ACCEPT', 'ct original protocol 6'],
  // A table bound target written natively beside nft_compat (refused before: CT was bound).
  ['-t raw -A PREROUTING -p udp -m recent --set -j CT --notrack', 'xt match recent'],
  // Bound to their table's name: that table is enforced under it (`ip raw`, `ip mangle`).
  ['-t raw -A PREROUTING -p tcp --dport 21 -j CT --helper ftp', 'xt target CT'],
  ['-t raw -A OUTPUT -j CT --ctevents new,related', 'table ip raw {'],
  ['-t raw -A OUTPUT -j CT --zone-orig mark', 'comment "bpfilter enforcement"'],
  ['-t raw -A PREROUTING -m rpfilter --accept-local -j ACCEPT', 'xt match rpfilter'],
  ['-t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill', 'xt target CHECKSUM'],
];

/** Refused by name: [iptables arguments, the extension and reason the error names]. */
export const REFUSED: [string, string][] = [
  [
    '-t mangle -A POSTROUTING -m statistic --mode nth --every 2 --packet 0 -j TTL --ttl-dec 1',
    '-m statistic: in a rule split into several nft rules',
  ],
  [
    '-A INPUT -m conntrack --ctstate NEW,DNAT -m limit --limit 1/s -j ACCEPT',
    '-m limit: in a rule split into several nft rules',
  ],
  [
    '-t mangle -A PREROUTING -p tcp -m limit --limit 1/s -j TPROXY --on-port 1',
    '-m limit: in a rule split into several nft rules (--ctstate SNAT/DNAT, TTL --ttl-inc/--ttl-dec, TPROXY)',
  ],
];
