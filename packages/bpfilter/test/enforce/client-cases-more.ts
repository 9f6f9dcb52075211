/**
 * Real clients, round 3 (after client-cases.ts): an OpenVPN server, Shorewall, OpenWrt's fw3,
 * flannel beside kube-proxy, Weave Net's policy controller, and per-host accounting and marks
 * keyed by the output interface, and Docker 28 with DOCKER-USER rules matching the
 * connection's tuples. Each is installed as the client installs it, with its probes;
 * OpenVPN and Shorewall then run their next command (the server's down script, a ban while
 * the SSH rate limit is half spent) and probes after it.
 */
import { ACCOUNTING } from './clients-accounting.js';
import { DOCKER_28 } from './clients-hosts-more.js';
import {
  FW3,
  OPENVPN_BASE,
  OPENVPN_DOWN,
  OPENVPN_UP,
  SHOREWALL,
  SHOREWALL_LOGDROP,
} from './clients-gateways.js';
import {
  FLANNEL_CHAINS,
  FLANNEL_FORWARD,
  FLANNEL_MASQ,
  KUBE_PROXY_NODEPORTS,
  WEAVE,
  WEAVE_IPS,
  WEAVE_NETS,
} from './clients-overlays.js';
import { type ClientCase, ipsets } from './client-cases.js';
import { ping, tcp, udp } from './scenario-parts.js';
import { C, F, F2, S } from './topology.js';

/**
 * DOCKER-USER rules as Docker's packet-filtering guide writes them (match the connection's
 * original tuple, since the packet is DNATed by then), each `iptables -I DOCKER-USER`: the
 * published UDP port closed from outside, the TCP one allowed by original source and
 * destination, and rules that only count by reply tuple, original port and status.
 */
const DOCKER_USER = [
  '-I DOCKER-USER -i fc -p udp -m conntrack --ctorigdstport 7053 --ctdir ORIGINAL -j DROP',
  '-I DOCKER-USER -i fc -p tcp -m conntrack --ctorigsrc 10.1.0.0/24 --ctorigdst 10.1.0.1 --ctorigdstport 7080 -j ACCEPT',
  '-I DOCKER-USER -m conntrack --ctreplsrcport 53 --ctdir REPLY',
  '-I DOCKER-USER -m conntrack --ctorigdstport 53',
  '-I DOCKER-USER -p udp -m conntrack --ctorigsrcport 1024:65535 --ctstatus SEEN_REPLY',
  '-I DOCKER-USER -p udp -m conntrack --ctrepldst 10.1.0.2 --ctreplsrc 10.2.0.2',
];

/** An address of C's that Shorewall's dynamic blacklist holds, its source towards F2. */
const BLACKLISTED = '10.1.0.77';

export const MORE_CLIENT_CASES: ClientCase[] = [
  {
    name: "OpenVPN (openvpn-install's rules): the tunnel let in and forwarded both ways, masqueraded out, 1194/udp open",
    install: [{ restore: OPENVPN_BASE }, ...OPENVPN_UP.map((command) => ({ command }))],
    probes: [
      udp('C', F, 1194, 'ECONNREFUSED'),
      udp('C', F, 53, 'timeout'),
      udp('S', F2, 53, `reply:${S}`),
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, `reply:${C}`),
      ping('C', F, 'timeout'),
      ping('S', C, 'reply'),
      tcp('C', F, 22, `connected:${C}`),
      tcp('C', F, 80, 'timeout'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', S, 8080, `connected:${C}`),
    ],
    counted: [
      /^\[1:\d+\] -A INPUT -i fc -p udp -m udp --dport 1194 -j ACCEPT$/m,
      /^\[2:\d+\] -A POSTROUTING -s 10\.2\.0\.0\/24 -o fc -j MASQUERADE$/m,
    ],
    // The server stops: its rules deleted by spec, the base's closed FORWARD and INPUT again.
    next: {
      install: OPENVPN_DOWN.map((command) => ({ command })),
      probes: [
        udp('C', F, 1194, 'timeout'),
        udp('S', C, 53, 'timeout'),
        udp('S', F2, 53, 'timeout'),
        tcp('C', F, 22, `connected:${C}`),
      ],
    },
  },
  {
    name: "flannel beside kube-proxy: FLANNEL-FWD and FLANNEL-POSTRTG through restore -n, kube-proxy's 0x4000/0x4000 returned, --random-fully",
    install: [
      { restore: KUBE_PROXY_NODEPORTS },
      ...FLANNEL_CHAINS.map((command) => ({ command })),
      { restore: FLANNEL_MASQ, args: ['-n'] },
      { restore: FLANNEL_FORWARD, args: ['-n'] },
    ],
    probes: [
      udp('C', F, 30053, `reply:${F2}`),
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, `reply:${C}`),
      udp('F', S, 53, `reply:${F2}`),
      udp('C', F, 5353, `reply:${C}`),
      ping('S', C, 'reply'),
      ping('C', S, 'reply'),
      tcp('C', F, 30080, `connected:${F2}`),
      tcp('S', C, 80, `connected:${F}`),
      tcp('C', S, 22, `connected:${C}`),
    ],
    counted: [
      /^\[1:\d+\] -A FLANNEL-POSTRTG -m mark --mark 0x4000\/0x4000 -m comment --comment "flanneld masq" -j RETURN$/m,
      /^\[2:\d+\] -A FLANNEL-POSTRTG -s 10\.2\.0\.0\/16 ! -d 224\.0\.0\.0\/4 .* -j MASQUERADE --random-fully$/m,
      /^\[1:\d+\] -A KUBE-POSTROUTING .* -j MASQUERADE --random-fully$/m,
    ],
  },
  {
    name: 'Weave Net (weave-npc): ipsets named with ;$|[], physdev, -m state, NFLOG then DROP, egress marked 0x40000/0x40000',
    install: [{ restore: WEAVE }],
    sets: [...ipsets('hash:ip', WEAVE_IPS), ...ipsets('hash:net', WEAVE_NETS)],
    probes: [
      udp('C', S, 53, 'timeout'),
      udp('S', C, 53, `reply:${F}`),
      udp('S', F2, 53, `reply:${S}`),
      udp('C', F, 53, `reply:${C}`),
      ping('S', C, 'reply'),
      ping('C', S, 'timeout'),
      tcp('C', S, 8080, `connected:${C}`),
      tcp('C', S, 80, 'timeout'),
      tcp('S', C, 80, `connected:${F}`),
    ],
    counted: [
      /^\[2:\d+\] -A FORWARD -o fs -m state --state NEW -j NFLOG --nflog-group 86$/m,
      /^\[2:\d+\] -A WEAVE-NPC-EGRESS-ACCEPT -j MARK --set-xmark 0x40000\/0x40000$/m,
      /^\[2:\d+\] -A WEAVE -s 10\.2\.0\.0\/16 ! -d 10\.2\.0\.0\/16 -j MASQUERADE$/m,
    ],
  },
  {
    name: 'Shorewall 5.2 (two interfaces): zone chains, hashlimit-limited LOGs, the dynamic blacklist, smurfs and tcpflags, DNAT',
    install: [{ restore: SHOREWALL }, { command: SHOREWALL_LOGDROP }],
    setup: {
      C: [
        `ip addr add ${BLACKLISTED}/32 dev c0; ip route add ${F2}/32 via ${F} src ${BLACKLISTED}`,
        `ip route del ${F2}/32; ip addr del ${BLACKLISTED}/32 dev c0`,
      ],
    },
    probes: [
      udp('C', F, 53, 'timeout'),
      ping('C', F, 'timeout'),
      udp('C', F2, 53, 'timeout'),
      udp('S', F2, 53, `reply:${S}`),
      udp('S', F2, 5353, 'ECONNREFUSED'),
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, `reply:${C}`),
      ping('S', C, 'reply'),
      ping('S', F2, 'reply'),
      // SSH's RATE s:SSH:3/hour:5: four of the burst of five taken here.
      ...Array.from({ length: 4 }, () => tcp('C', F, 22, `connected:${C}`)),
      tcp('C', F2, 22, 'timeout'),
      tcp('C', F, 2222, `connected:${C}`),
      tcp('C', F, 80, 'timeout'),
      tcp('S', C, 80, `connected:${F}`),
      tcp('S', F2, 22, `connected:${S}`),
    ],
    counted: [
      /^\[1:\d+\] -A dynamic -s 10\.1\.0\.77\/32 -j logdrop$/m,
      /^\[1:\d+\] -A logdrop -m hashlimit .* -j LOG --log-prefix "Shorewall:logdrop:DROP:" --log-level 6$/m,
      /^\[1:\d+\] -A net-fw -m hashlimit .* -j LOG --log-prefix "Shorewall:net-fw:DROP:" --log-level 6$/m,
      /^\[1:\d+\] -A net-fw -p icmp -m icmp --icmp-type 8 -j DROP$/m,
      /^\[1:\d+\] -A reject -p udp -j REJECT --reject-with icmp-port-unreachable$/m,
    ],
    // `shorewall logdrop` of another address replaces the filter table: the SSH limit's
    // hashlimit table (by name, in the kernel) keeps its buckets, so one connection is left.
    next: {
      install: [{ command: SHOREWALL_LOGDROP.replace('.77/', '.78/') }],
      probes: [tcp('C', F, 22, `connected:${C}`), tcp('C', F, 22, 'timeout')],
    },
  },
  {
    name: 'accounting by output interface: counted sets keyed by -s/-d and -o, per-host marks by -o, 255-character comments',
    install: [{ restore: ACCOUNTING }],
    probes: [
      udp('C', S, 53, `reply:${C}`),
      udp('C', S, 5353, 'ECONNREFUSED'),
      udp('S', C, 53, `reply:${S}`),
      udp('C', F, 53, `reply:${C}`),
      ping('S', C, 'reply'),
      ping('C', F, 'reply'),
      tcp('C', S, 80, `connected:${C}`),
      tcp('S', C, 22, `connected:${S}`),
    ],
    counted: [
      /^\[1:\d+\] -A FORWARD -o fs -p udp -m udp --dport 5353 -m mark --mark 0x1 -j REJECT/m,
      /^\[[1-9]\d*:\d+\] -A ACCT -s 10\.2\.0\.2\/32 -o fc -m comment --comment "accounting .*up 10\.2\.0\.2 fc"$/m,
      /^\[[1-9]\d*:\d+\] -A ACCT -d 10\.2\.0\.2\/32 -o fs -m comment --comment "accounting .*down 10\.2\.0\.2"$/m,
      /^\[[1-9]\d*:\d+\] -A ACCT-LOCAL -o fc -m comment --comment "accounting .*local fc"$/m,
      /^\[[1-9]\d*:\d+\] -A SHAPE -s 10\.1\.0\.2\/32 -o fs -m comment .* -j MARK --set-xmark 0x1\/0xffffffff$/m,
    ],
    // Counted sets keyed by address and output interface, and by the interface alone.
    nft: [
      /ip saddr \. oifname @cset\d+\n/,
      /ip daddr \. oifname @cset\d+\n/,
      /\toifname @cset\d+\n/,
    ],
  },
  {
    name: "OpenWrt's fw3: zone chains with !fw3 comments, --ctstate DNAT, SYN flood limit, a port forward with NAT reflection, lan's CT helpers",
    install: [{ restore: FW3 }],
    // xt_CT (--helper) runs only in a table named raw: bpfilter's, marked by its comment.
    nft: [/table ip raw \{\n\tcomment "bpfilter enforcement"[\s\S]*xt target CT/],
    probes: [
      udp('C', F, 53, 'ECONNREFUSED'),
      ping('C', F, 'reply'),
      udp('S', F2, 53, `reply:${S}`),
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, 'ECONNREFUSED'),
      ping('C', S, 'Destination Port Unreachable'),
      ping('S', C, 'reply'),
      tcp('C', F, 2222, `connected:${C}`),
      tcp('S', F, 2222, `connected:${F2}`),
      tcp('C', F, 22, 'ECONNREFUSED'),
      tcp('S', F2, 22, `connected:${S}`),
      tcp('S', C, 80, `connected:${F}`),
    ],
    counted: [
      /^\[1:\d+\] -A zone_wan_input -p icmp -m icmp --icmp-type 8 -m comment --comment "!fw3: Allow-Ping" -j ACCEPT$/m,
      /^\[2:\d+\] -A zone_wan_postrouting -m comment --comment "!fw3" -j MASQUERADE$/m,
      /^\[3:\d+\] -A reject -m comment --comment "!fw3" -j REJECT --reject-with icmp-port-unreachable$/m,
      /^\[[1-9]\d*:\d+\] -A PREROUTING -i fs -m comment --comment "!fw3: lan CT helper assignment" -j zone_lan_helper$/m,
    ],
  },
  {
    name: "Docker 28 with DOCKER-USER rules by the connection's original and reply tuples (-m conntrack --ctorig*/--ctrepl*, --ctdir, --ctstatus)",
    install: [{ restore: DOCKER_28 }, ...DOCKER_USER.map((command) => ({ command }))],
    probes: [
      udp('C', F, 7053, 'timeout'),
      udp('S', C, 53, `reply:${F}`),
      udp('C', S, 53, 'timeout'),
      ping('S', C, 'reply'),
      tcp('C', F, 7080, `connected:${C}`),
      tcp('S', C, 80, `connected:${F}`),
    ],
    counted: [
      /^\[1:\d+\] -A DOCKER-USER -i fc -p udp -m conntrack --ctorigdstport 7053 --ctdir ORIGINAL -j DROP$/m,
      /^\[2:\d+\] -A DOCKER-USER -m conntrack --ctorigdstport 53$/m,
      /^\[1:\d+\] -A DOCKER-USER -m conntrack --ctreplsrcport 53 --ctdir REPLY$/m,
    ],
  },
];
