/**
 * The client scenarios (clients.ts) that forward through F to S: Docker 26 with one published
 * port, kube-proxy's iptables mode with one service of two endpoints, libvirt's default NAT
 * network, and a router/VPN script.
 */
import { chains } from './scenario-parts.js';
import { S } from './topology.js';

/** Docker with `docker run -p 7080:8080` of a container at S on the bridge (fs). */
export const DOCKER = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 10.2.0.0/24 ! -o fs -j MASQUERADE
-A POSTROUTING -s ${S}/32 -d ${S}/32 -p tcp -m tcp --dport 8080 -j MASQUERADE
-A DOCKER -i fs -j RETURN
-A DOCKER ! -i fs -p tcp -m tcp --dport 7080 -j DNAT --to-destination ${S}:8080
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${chains('DOCKER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2', 'DOCKER-USER')}
-A FORWARD -j DOCKER-USER
-A FORWARD -j DOCKER-ISOLATION-STAGE-1
-A FORWARD -o fs -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -o fs -j DOCKER
-A FORWARD -i fs ! -o fs -j ACCEPT
-A FORWARD -i fs -o fs -j ACCEPT
-A DOCKER -d ${S}/32 ! -i fs -o fs -p tcp -m tcp --dport 8080 -j ACCEPT
-A DOCKER-ISOLATION-STAGE-1 -i fs ! -o fs -j DOCKER-ISOLATION-STAGE-2
-A DOCKER-ISOLATION-STAGE-1 -j RETURN
-A DOCKER-ISOLATION-STAGE-2 -o fs -j DROP
-A DOCKER-ISOLATION-STAGE-2 -j RETURN
-A DOCKER-USER -j RETURN
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -d ${S}/32 ! -i fs -j DROP
COMMIT
`;

const KUBE_NAT_CHAINS = chains(
  'KUBE-MARK-MASQ',
  'KUBE-NODEPORTS',
  'KUBE-POSTROUTING',
  'KUBE-SEP-AAAA',
  'KUBE-SEP-BBBB',
  'KUBE-SERVICES',
  'KUBE-SVC-WEB',
);

/**
 * kube-proxy's KUBE-FIREWALL rule (with route_localnet): `--ctstate DNAT` inverted, two nft
 * rules under enforcement.
 */
export const KUBE_LOCALNET_RULE =
  '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';

/**
 * kube-proxy (iptables mode): service 10.96.0.10:80 with endpoints S:8080 and S:9000 and
 * `sessionAffinity: ClientIP`: each endpoint's DNAT rule records the client (`-m recent
 * --set`), and the service chain sends a client it has seen within 10800 s to the same
 * endpoint (`--rcheck --reap`) before the random choice. -m recent runs through nft_compat
 * beside the native DNAT.
 */
export const KUBE_PROXY = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${chains('KUBE-IPTABLES-HINT', 'KUBE-KUBELET-CANARY', 'KUBE-PROXY-CANARY')}
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${KUBE_NAT_CHAINS}
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-AAAA -s ${S}/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-AAAA -p tcp -m comment --comment "default/web" -m recent --set --name KUBE-SEP-AAAA --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination ${S}:8080
-A KUBE-SEP-BBBB -s ${S}/32 -m comment --comment "default/web" -j KUBE-MARK-MASQ
-A KUBE-SEP-BBBB -p tcp -m comment --comment "default/web" -m recent --set --name KUBE-SEP-BBBB --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination ${S}:9000
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-SVC-WEB
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/web" -m tcp --dport 30080 -j KUBE-SVC-WEB
-A KUBE-SVC-WEB ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p tcp -m comment --comment "default/web cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB -p tcp -m comment --comment "default/web" -m tcp --dport 30080 -j KUBE-MARK-MASQ
-A KUBE-SVC-WEB -m comment --comment "default/web -> ${S}:8080" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-AAAA --mask 255.255.255.255 --rsource -j KUBE-SEP-AAAA
-A KUBE-SVC-WEB -m comment --comment "default/web -> ${S}:9000" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-BBBB --mask 255.255.255.255 --rsource -j KUBE-SEP-BBBB
-A KUBE-SVC-WEB -m comment --comment "default/web -> ${S}:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AAAA
-A KUBE-SVC-WEB -m comment --comment "default/web -> ${S}:9000" -j KUBE-SEP-BBBB
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('KUBE-EXTERNAL-SERVICES', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES')}
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
${KUBE_LOCALNET_RULE}
COMMIT
`;

/** libvirt's default network (virbr0 = fs, 10.2.0.0/24), the LIBVIRT_* chains of libvirt 9. */
export const LIBVIRT = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('LIBVIRT_FWI', 'LIBVIRT_FWO', 'LIBVIRT_FWX', 'LIBVIRT_INP', 'LIBVIRT_OUT')}
-A INPUT -j LIBVIRT_INP
-A FORWARD -j LIBVIRT_FWX
-A FORWARD -j LIBVIRT_FWI
-A FORWARD -j LIBVIRT_FWO
-A OUTPUT -j LIBVIRT_OUT
-A LIBVIRT_FWI -d 10.2.0.0/24 -o fs -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A LIBVIRT_FWI -o fs -j REJECT --reject-with icmp-port-unreachable
-A LIBVIRT_FWO -s 10.2.0.0/24 -i fs -j ACCEPT
-A LIBVIRT_FWO -i fs -j REJECT --reject-with icmp-port-unreachable
-A LIBVIRT_FWX -i fs -o fs -j ACCEPT
-A LIBVIRT_INP -i fs -p udp -m udp --dport 53 -j ACCEPT
-A LIBVIRT_INP -i fs -p tcp -m tcp --dport 53 -j ACCEPT
-A LIBVIRT_INP -i fs -p udp -m udp --dport 67 -j ACCEPT
-A LIBVIRT_INP -i fs -p tcp -m tcp --dport 67 -j ACCEPT
-A LIBVIRT_OUT -o fs -p udp -m udp --dport 53 -j ACCEPT
-A LIBVIRT_OUT -o fs -p tcp -m tcp --dport 53 -j ACCEPT
-A LIBVIRT_OUT -o fs -p udp -m udp --dport 68 -j ACCEPT
-A LIBVIRT_OUT -o fs -p tcp -m tcp --dport 68 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:LIBVIRT_PRT - [0:0]
-A POSTROUTING -j LIBVIRT_PRT
-A LIBVIRT_PRT -s 10.2.0.0/24 -d 224.0.0.0/24 -j RETURN
-A LIBVIRT_PRT -s 10.2.0.0/24 -d 255.255.255.255/32 -j RETURN
-A LIBVIRT_PRT -s 10.2.0.0/24 ! -d 10.2.0.0/24 -p tcp -j MASQUERADE --to-ports 1024-65535
-A LIBVIRT_PRT -s 10.2.0.0/24 ! -d 10.2.0.0/24 -p udp -j MASQUERADE --to-ports 1024-65535
-A LIBVIRT_PRT -s 10.2.0.0/24 ! -d 10.2.0.0/24 -j MASQUERADE
COMMIT
`;

/**
 * libvirt before 8.x filled DHCP checksums for old guests: nftables has no CHECKSUM, and
 * xt_CHECKSUM runs only in a table named mangle (so through nft_compat in `ip mangle`).
 */
export const LIBVIRT_CHECKSUM_RULE =
  '-t mangle -A POSTROUTING -o fs -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill';

/**
 * A router/VPN script: LAN (fs) to WAN (fc) with MSS clamping, a multi-WAN connmark, DSCP
 * for VoIP, rate-limited ICMP and logging, the LAN's MAC allow-list, TTL and length sanity.
 */
export const ROUTER = `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j CONNMARK --restore-mark
-A PREROUTING -i fs -m mark --mark 0x0 -m statistic --mode nth --every 2 --packet 0 -j MARK --set-mark 0x1
-A PREROUTING -i fs -m mark --mark 0x0 -j MARK --set-mark 0x2
-A PREROUTING -j CONNMARK --save-mark
-A PREROUTING -m connmark --mark 0x1 -j CONNMARK --set-mark 0x11
-A FORWARD -o fc -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A FORWARD -o fs -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1400:65535 -j TCPMSS --set-mss 1400
-A POSTROUTING -o fc -p udp -m udp --dport 5060 -j DSCP --set-dscp 0x2e
-A POSTROUTING -m dscp --dscp 0x2e -m tos --tos 0xb8/0xfc -j RETURN
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:wan-in - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m pkttype --pkt-type broadcast -j DROP
-A INPUT -m ttl --ttl-lt 2 -j DROP
-A INPUT -p icmp -m icmp --icmp-type 8 -m length --length 0:1000 -m limit --limit 2/sec --limit-burst 4 -j ACCEPT
-A INPUT -i fc -j wan-in
-A INPUT -i fs -p tcp -m tcp --dport 22 -m mac ! --mac-source 02:00:00:00:00:01 -j ACCEPT
-A wan-in -p tcp -m tcp --dport 22 -m limit --limit 6/min -j LOG --log-prefix "wan ssh: "
-A wan-in -j DROP
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i fs -o fc -j ACCEPT
-A OUTPUT -m owner --uid-owner 0 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o fc -j MASQUERADE
COMMIT
`;
