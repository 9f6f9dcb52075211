/**
 * Host firewalls and container networks as they install themselves, in the twins' topology
 * (`fc` the uplink, `fs` the bridge or the trusted LAN, S behind it): Docker 28 and Podman's
 * netavark (iptables driver), each with one published TCP and one UDP port, ConfigServer
 * Firewall and a hand-written blocklist logging before they drop, and firewalld's iptables
 * back end with a direct rule.
 */
import { DOCKER } from './clients-forwarding.js';
import { chains } from './scenario-parts.js';
import { C, S } from './topology.js';

/**
 * Docker 28 (its new FORWARD layout: DOCKER-FORWARD, DOCKER-BRIDGE, DOCKER-CT) for `docker
 * run -p 7080:8080 -p 7053:53/udp` of a container at S on the bridge fs (docker0,
 * 10.2.0.0/24), the userland proxy off: its nat table is Docker 26's (clients-forwarding.ts)
 * with the UDP port; the container reached directly from outside dropped in raw, published
 * ports DNATed and accepted, the bridge masqueraded on its way out.
 */
export const DOCKER_28 = `${DOCKER.slice(0, DOCKER.indexOf('COMMIT\n'))}-A DOCKER ! -i fs -p udp -m udp --dport 7053 -j DNAT --to-destination ${S}:53
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${chains('DOCKER', 'DOCKER-BRIDGE', 'DOCKER-CT', 'DOCKER-FORWARD', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER')}
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-FORWARD
-A DOCKER -d ${S}/32 ! -i fs -o fs -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER -d ${S}/32 ! -i fs -o fs -p udp -m udp --dport 53 -j ACCEPT
-A DOCKER ! -i fs -o fs -j DROP
-A DOCKER-BRIDGE -o fs -j DOCKER
-A DOCKER-CT -o fs -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A DOCKER-FORWARD -j DOCKER-CT
-A DOCKER-FORWARD -j DOCKER-ISOLATION-STAGE-1
-A DOCKER-FORWARD -j DOCKER-BRIDGE
-A DOCKER-FORWARD -i fs -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i fs ! -o fs -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-2 -o fs -j DROP
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d ${S}/32 ! -i fs -j DROP
COMMIT
`;

const NET = 'NETAVARK-1D8721804F16F';
const DN = 'NETAVARK-DN-1D8721804F16F';
const ID = 'dnat name: podman id: 58c4a4e3d4b1f1c2a7f09c1e3b8d2f6a9e0c4b7d1a2f3e4d5c6b7a8f9e0d1c2b';

/**
 * netavark 1.10 for `podman run -p 7080:80 -p 7053:53/udp` of a container at S on the
 * bridge fs (10.2.0.0/24): hairpin and localhost connections marked 0x2000/0x2000 and
 * masqueraded by that mark, the network masqueraded on its way out.
 */
export const NETAVARK = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${chains(NET, DN, 'NETAVARK-HOSTPORT-DNAT', 'NETAVARK-HOSTPORT-MASQ', 'NETAVARK-HOSTPORT-SETMARK')}
-A PREROUTING -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j NETAVARK-HOSTPORT-DNAT
-A POSTROUTING -j NETAVARK-HOSTPORT-MASQ
-A POSTROUTING -s 10.2.0.0/24 -j ${NET}
-A ${NET} -d 10.2.0.0/24 -j ACCEPT
-A ${NET} ! -d 224.0.0.0/4 -j MASQUERADE
-A ${DN} -s 10.2.0.0/24 -p tcp -m tcp --dport 7080 -j NETAVARK-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 7080 -j NETAVARK-HOSTPORT-SETMARK
-A ${DN} -p tcp -m tcp --dport 7080 -j DNAT --to-destination ${S}:80
-A ${DN} -s 10.2.0.0/24 -p udp -m udp --dport 7053 -j NETAVARK-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -p udp -m udp --dport 7053 -j NETAVARK-HOSTPORT-SETMARK
-A ${DN} -p udp -m udp --dport 7053 -j DNAT --to-destination ${S}:53
-A NETAVARK-HOSTPORT-DNAT -p tcp -m tcp --dport 7080 -m comment --comment "${ID}" -j ${DN}
-A NETAVARK-HOSTPORT-DNAT -p udp -m udp --dport 7053 -m comment --comment "${ID}" -j ${DN}
-A NETAVARK-HOSTPORT-MASQ -m comment --comment "netavark portfw masq mark" -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A NETAVARK-HOSTPORT-SETMARK -j MARK --set-xmark 0x2000/0x2000
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('NETAVARK_FORWARD', 'NETAVARK_INPUT', 'NETAVARK_ISOLATION_2', 'NETAVARK_ISOLATION_3')}
-A INPUT -j NETAVARK_INPUT
-A FORWARD -m comment --comment "netavark firewall plugin rules" -j NETAVARK_FORWARD
-A NETAVARK_FORWARD -m conntrack --ctstate INVALID -j DROP
-A NETAVARK_FORWARD -d 10.2.0.0/24 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A NETAVARK_FORWARD -s 10.2.0.0/24 -j ACCEPT
-A NETAVARK_INPUT -d 10.2.0.1/32 -p udp -m udp --dport 53 -j ACCEPT
COMMIT
`;

/**
 * The sources of a blocklist of `size` entries alternating /32s and /24s (documentation and
 * benchmark ranges), with `listed` at `at`.
 */
export function blocklist(size: number, at: number, listed: string): string[] {
  return Array.from({ length: size }, (_, i) => {
    if (i === at) return listed;
    return i % 2 ? `198.18.${i >> 8}.${i & 255}/32` : `198.${19 + (i >> 8)}.${i & 255}.0/24`;
  });
}

/** CSF's DENYIN for a blocklist: each entry logged (rate-limited) before it is dropped. */
const DENYIN = blocklist(1000, 613, `${C}/32`).flatMap((source) => [
  `-A DENYIN -s ${source} ! -i lo -m limit --limit 30/min -j LOG --log-prefix "Blocklist DENYIN: "`,
  `-A DENYIN -s ${source} ! -i lo -j DROP`,
]);

/**
 * A hand-written blocklist script (`iptables -A INPUT -s $net -j LOG --log-prefix
 * "BLOCKED: "; iptables -A INPUT -s $net -j DROP` for each of 1,500 entries, C's /24 among
 * them), restored from its saved text: the LOG rules, one target, are a run of one shape.
 */
export const LOGGED_BLOCKLIST = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${blocklist(1500, 977, '10.1.0.0/24')
  .flatMap((source) => [
    `-A INPUT -s ${source} -j LOG --log-prefix "BLOCKED: "`,
    `-A INPUT -s ${source} -j DROP`,
  ])
  .join('\n')}
COMMIT
`;

/**
 * ConfigServer Firewall (csf 14) with TCP_IN 22,80, UDP_IN 53, its INVALID checks and
 * LOGDROPIN, DENYIN filled from a blocklist of 1,000 entries.
 */
export const CSF = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
${chains('ALLOWIN', 'ALLOWOUT', 'DENYIN', 'DENYOUT', 'INVALID', 'INVDROP', 'LOCALINPUT', 'LOCALOUTPUT', 'LOGDROPIN', 'LOGDROPOUT')}
-A INPUT -i lo -j ACCEPT
-A INPUT ! -i lo -j LOCALINPUT
-A INPUT ! -i lo -j INVALID
-A INPUT ! -i lo -p tcp -m conntrack --ctstate NEW -m tcp --dport 22 -j ACCEPT
-A INPUT ! -i lo -p tcp -m conntrack --ctstate NEW -m tcp --dport 80 -j ACCEPT
-A INPUT ! -i lo -p udp -m conntrack --ctstate NEW -m udp --dport 53 -j ACCEPT
-A INPUT ! -i lo -p icmp -m icmp --icmp-type 8 -m limit --limit 1/sec --limit-burst 5 -j ACCEPT
-A INPUT ! -i lo -p icmp -m icmp --icmp-type 0 -j ACCEPT
-A INPUT ! -i lo -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT ! -i lo -j LOGDROPIN
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT ! -o lo -j LOCALOUTPUT
-A OUTPUT ! -o lo -p udp -m udp --dport 53 -j ACCEPT
-A OUTPUT ! -o lo -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A OUTPUT ! -o lo -p icmp -j ACCEPT
-A OUTPUT ! -o lo -j LOGDROPOUT
-A ALLOWIN -s 192.0.2.10/32 ! -i lo -j ACCEPT
-A ALLOWOUT -d 192.0.2.10/32 ! -o lo -j ACCEPT
${DENYIN.join('\n')}
-A DENYOUT -d 198.18.0.1/32 ! -o lo -j LOGDROPOUT
-A INVALID -m conntrack --ctstate INVALID -j INVDROP
-A INVALID -p tcp -m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE -j INVDROP
-A INVALID -p tcp -m tcp --tcp-flags FIN,SYN FIN,SYN -j INVDROP
-A INVALID -p tcp -m tcp --tcp-flags SYN,RST SYN,RST -j INVDROP
-A INVALID -p tcp -m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN -m conntrack --ctstate NEW -j INVDROP
-A INVDROP -j DROP
-A LOCALINPUT ! -i lo -j ALLOWIN
-A LOCALINPUT ! -i lo -j DENYIN
-A LOCALOUTPUT ! -o lo -j ALLOWOUT
-A LOCALOUTPUT ! -o lo -j DENYOUT
-A LOGDROPIN -p tcp -m tcp --dport 23 -j DROP
-A LOGDROPIN -p tcp -m tcp --dport 67 -j DROP
-A LOGDROPIN -p udp -m udp --dport 67 -j DROP
-A LOGDROPIN -p tcp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *TCP_IN Blocked* "
-A LOGDROPIN -p udp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *UDP_IN Blocked* "
-A LOGDROPIN -p icmp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *ICMP_IN Blocked* "
-A LOGDROPIN -j DROP
-A LOGDROPOUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m limit --limit 30/min -j LOG --log-prefix "Firewall: *TCP_OUT Blocked* " --log-uid
-A LOGDROPOUT -p udp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *UDP_OUT Blocked* " --log-uid
-A LOGDROPOUT -p icmp -m limit --limit 30/min -j LOG --log-prefix "Firewall: *ICMP_OUT Blocked* " --log-uid
-A LOGDROPOUT -j DROP
COMMIT
`;

const zone = (prefix: string, name: string) =>
  ['pre', 'log', 'deny', 'allow', 'post'].map(
    (part) => `-A ${prefix}_${name} -j ${prefix}_${name}_${part}`,
  );
const zoneChains = (prefix: string, name: string) => [
  `${prefix}_${name}`,
  ...['pre', 'log', 'deny', 'allow', 'post'].map((p) => `${prefix}_${name}_${p}`),
];

/**
 * firewalld 1.3's iptables back end (FirewallBackend=iptables): fc in zone public (ssh, a
 * rich rule logging and accepting http from C's /24 only), fs in zone trusted, masquerade
 * on public, and a direct rule (`--direct --add-rule ipv4 filter INPUT_direct 0 -p tcp
 * --dport 9000 -j REJECT --reject-with tcp-reset`). The rest is refused with
 * icmp-host-prohibited.
 */
export const FIREWALLD = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${chains('OUTPUT_direct', 'POSTROUTING_ZONES', 'POSTROUTING_direct', 'PREROUTING_ZONES', 'PREROUTING_direct', ...zoneChains('POST', 'public'), ...zoneChains('POST', 'trusted'), ...zoneChains('PRE', 'public'), ...zoneChains('PRE', 'trusted'))}
-A PREROUTING -j PREROUTING_direct
-A PREROUTING -j PREROUTING_ZONES
-A OUTPUT -j OUTPUT_direct
-A POSTROUTING -j POSTROUTING_direct
-A POSTROUTING -j POSTROUTING_ZONES
${zone('POST', 'public').join('\n')}
-A POST_public_allow ! -o lo -j MASQUERADE
${zone('POST', 'trusted').join('\n')}
-A POSTROUTING_ZONES -o fs -g POST_trusted
-A POSTROUTING_ZONES -o fc -g POST_public
-A POSTROUTING_ZONES -g POST_public
${zone('PRE', 'public').join('\n')}
${zone('PRE', 'trusted').join('\n')}
-A PREROUTING_ZONES -i fs -g PRE_trusted
-A PREROUTING_ZONES -i fc -g PRE_public
-A PREROUTING_ZONES -g PRE_public
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('FORWARD_IN_ZONES', 'FORWARD_OUT_ZONES', 'FORWARD_direct', 'INPUT_ZONES', 'INPUT_direct', 'OUTPUT_direct', ...zoneChains('FWDI', 'public'), ...zoneChains('FWDI', 'trusted'), ...zoneChains('FWDO', 'public'), ...zoneChains('FWDO', 'trusted'), ...zoneChains('IN', 'public'), ...zoneChains('IN', 'trusted'))}
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
-A INPUT -i lo -j ACCEPT
-A INPUT -j INPUT_direct
-A INPUT -j INPUT_ZONES
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -j REJECT --reject-with icmp-host-prohibited
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT
-A FORWARD -i lo -j ACCEPT
-A FORWARD -j FORWARD_direct
-A FORWARD -j FORWARD_IN_ZONES
-A FORWARD -j FORWARD_OUT_ZONES
-A FORWARD -m conntrack --ctstate INVALID -j DROP
-A FORWARD -j REJECT --reject-with icmp-host-prohibited
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -j OUTPUT_direct
-A FORWARD_IN_ZONES -i fs -g FWDI_trusted
-A FORWARD_IN_ZONES -i fc -g FWDI_public
-A FORWARD_IN_ZONES -g FWDI_public
-A FORWARD_OUT_ZONES -o fs -g FWDO_trusted
-A FORWARD_OUT_ZONES -o fc -g FWDO_public
-A FORWARD_OUT_ZONES -g FWDO_public
${zone('FWDI', 'public').join('\n')}
-A FWDI_public -p icmp -j ACCEPT
${zone('FWDI', 'trusted').join('\n')}
-A FWDI_trusted -j ACCEPT
${zone('FWDO', 'public').join('\n')}
${zone('FWDO', 'trusted').join('\n')}
-A FWDO_trusted -j ACCEPT
-A INPUT_ZONES -i fs -g IN_trusted
-A INPUT_ZONES -i fc -g IN_public
-A INPUT_ZONES -g IN_public
-A INPUT_direct -p tcp -m tcp --dport 9000 -j REJECT --reject-with tcp-reset
${zone('IN', 'public').join('\n')}
-A IN_public -p icmp -j ACCEPT
-A IN_public_allow -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT
-A IN_public_allow -d 224.0.0.251/32 -p udp -m udp --dport 5353 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT
-A IN_public_allow -s 10.1.0.0/24 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW,UNTRACKED -m limit --limit 1/min -j LOG --log-prefix "http " --log-level 4
-A IN_public_allow -s 10.1.0.0/24 -p tcp -m tcp --dport 80 -m conntrack --ctstate NEW,UNTRACKED -j ACCEPT
${zone('IN', 'trusted').join('\n')}
-A IN_trusted -j ACCEPT
COMMIT
`;
