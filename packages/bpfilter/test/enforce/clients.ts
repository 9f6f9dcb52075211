/**
 * What real iptables clients install, written out by hand as iptables-save text from their
 * rule files and generated chains (ufw 0.36 with logging on, Docker 26 with one published
 * port, fail2ban's iptables-multiport action, kube-proxy's iptables mode with one service of
 * two endpoints, libvirt's default NAT network, a router/VPN script), placed in the twins'
 * topology: F is the host or router, `fc` its interface towards C (the outside world), `fs`
 * towards S (the bridge of containers or guests, the LAN). Each comes with probes whose
 * outcome legacy and enforcement must agree on.
 */
import type { Scenario } from './scenarios.js';

const C = '10.1.0.2';
const F = '10.1.0.1';
const S = '10.2.0.2';

const chains = (...names: string[]) => names.map((n) => `:${n} - [0:0]`).join('\n');

/** ufw with `ufw allow 22/tcp`, `ufw allow 80/tcp`, `ufw allow 8000:8100/tcp`, logging low. */
const UFW = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${chains(
  'ufw-after-forward',
  'ufw-after-input',
  'ufw-after-logging-forward',
  'ufw-after-logging-input',
  'ufw-after-logging-output',
  'ufw-after-output',
  'ufw-before-forward',
  'ufw-before-input',
  'ufw-before-logging-forward',
  'ufw-before-logging-input',
  'ufw-before-logging-output',
  'ufw-before-output',
  'ufw-logging-allow',
  'ufw-logging-deny',
  'ufw-not-local',
  'ufw-reject-forward',
  'ufw-reject-input',
  'ufw-reject-output',
  'ufw-skip-to-policy-forward',
  'ufw-skip-to-policy-input',
  'ufw-skip-to-policy-output',
  'ufw-track-forward',
  'ufw-track-input',
  'ufw-track-output',
  'ufw-user-forward',
  'ufw-user-input',
  'ufw-user-limit',
  'ufw-user-limit-accept',
  'ufw-user-logging-forward',
  'ufw-user-logging-input',
  'ufw-user-logging-output',
  'ufw-user-output',
)}
-A INPUT -j ufw-before-logging-input
-A INPUT -j ufw-before-input
-A INPUT -j ufw-after-input
-A INPUT -j ufw-after-logging-input
-A INPUT -j ufw-reject-input
-A INPUT -j ufw-track-input
-A FORWARD -j ufw-before-logging-forward
-A FORWARD -j ufw-before-forward
-A FORWARD -j ufw-after-forward
-A FORWARD -j ufw-after-logging-forward
-A FORWARD -j ufw-reject-forward
-A FORWARD -j ufw-track-forward
-A OUTPUT -j ufw-before-logging-output
-A OUTPUT -j ufw-before-output
-A OUTPUT -j ufw-after-output
-A OUTPUT -j ufw-after-logging-output
-A OUTPUT -j ufw-reject-output
-A OUTPUT -j ufw-track-output
-A ufw-after-input -p udp -m udp --dport 137 -j ufw-skip-to-policy-input
-A ufw-after-input -p udp -m udp --dport 138 -j ufw-skip-to-policy-input
-A ufw-after-input -p tcp -m tcp --dport 139 -j ufw-skip-to-policy-input
-A ufw-after-input -p tcp -m tcp --dport 445 -j ufw-skip-to-policy-input
-A ufw-after-input -p udp -m udp --dport 67 -j ufw-skip-to-policy-input
-A ufw-after-input -p udp -m udp --dport 68 -j ufw-skip-to-policy-input
-A ufw-after-input -m addrtype --dst-type BROADCAST -j ufw-skip-to-policy-input
-A ufw-after-logging-forward -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW BLOCK] "
-A ufw-after-logging-input -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW BLOCK] "
-A ufw-before-forward -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-forward -p icmp -m icmp --icmp-type 3 -j ACCEPT
-A ufw-before-forward -p icmp -m icmp --icmp-type 11 -j ACCEPT
-A ufw-before-forward -p icmp -m icmp --icmp-type 12 -j ACCEPT
-A ufw-before-forward -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A ufw-before-forward -j ufw-user-forward
-A ufw-before-input -i lo -j ACCEPT
-A ufw-before-input -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-input -m conntrack --ctstate INVALID -j ufw-logging-deny
-A ufw-before-input -m conntrack --ctstate INVALID -j DROP
-A ufw-before-input -p icmp -m icmp --icmp-type 3 -j ACCEPT
-A ufw-before-input -p icmp -m icmp --icmp-type 11 -j ACCEPT
-A ufw-before-input -p icmp -m icmp --icmp-type 12 -j ACCEPT
-A ufw-before-input -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A ufw-before-input -p udp -m udp --sport 67 --dport 68 -j ACCEPT
-A ufw-before-input -j ufw-not-local
-A ufw-before-input -d 224.0.0.251/32 -p udp -m udp --dport 5353 -j ACCEPT
-A ufw-before-input -d 239.255.255.250/32 -p udp -m udp --dport 1900 -j ACCEPT
-A ufw-before-input -j ufw-user-input
-A ufw-before-output -o lo -j ACCEPT
-A ufw-before-output -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ufw-before-output -j ufw-user-output
-A ufw-logging-allow -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW ALLOW] "
-A ufw-logging-deny -m conntrack --ctstate INVALID -m limit --limit 3/min --limit-burst 10 -j RETURN
-A ufw-logging-deny -m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix "[UFW BLOCK] "
-A ufw-not-local -m addrtype --dst-type LOCAL -j RETURN
-A ufw-not-local -m addrtype --dst-type MULTICAST -j RETURN
-A ufw-not-local -m addrtype --dst-type BROADCAST -j RETURN
-A ufw-not-local -m limit --limit 3/min --limit-burst 10 -j ufw-logging-deny
-A ufw-not-local -j DROP
-A ufw-skip-to-policy-forward -j DROP
-A ufw-skip-to-policy-input -j DROP
-A ufw-skip-to-policy-output -j ACCEPT
-A ufw-track-forward -p tcp -m conntrack --ctstate NEW -j ACCEPT
-A ufw-track-forward -p udp -m conntrack --ctstate NEW -j ACCEPT
-A ufw-track-output -p tcp -m conntrack --ctstate NEW -j ACCEPT
-A ufw-track-output -p udp -m conntrack --ctstate NEW -j ACCEPT
-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT
-A ufw-user-input -p tcp -m tcp --dport 80 -j ACCEPT
-A ufw-user-input -p tcp -m multiport --dports 8000:8100 -j ACCEPT
-A ufw-user-limit -m limit --limit 3/min -j LOG --log-prefix "[UFW LIMIT BLOCK] "
-A ufw-user-limit -j REJECT --reject-with icmp-port-unreachable
-A ufw-user-limit-accept -j ACCEPT
-A ufw-user-logging-input -j RETURN
-A ufw-user-logging-output -j RETURN
-A ufw-user-logging-forward -j RETURN
COMMIT
`;

/** `ufw limit 22/tcp`: xt_recent's per-source list (nftables has no form of it: nft_compat). */
export const UFW_LIMIT_RULES = [
  '-A ufw-user-input -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name DEFAULT --mask 255.255.255.255 --rsource',
  '-A ufw-user-input -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 30 --hitcount 6 --name DEFAULT --mask 255.255.255.255 --rsource -j ufw-user-limit',
];

/** Docker with `docker run -p 7080:8080` of a container at S on the bridge (fs). */
const DOCKER = `*nat
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

/** fail2ban's iptables-multiport action for sshd, with C banned. */
const FAIL2BAN = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:f2b-sshd - [0:0]
-A INPUT -p tcp -m multiport --dports 22 -j f2b-sshd
-A f2b-sshd -s ${C}/32 -j REJECT --reject-with icmp-port-unreachable
-A f2b-sshd -j RETURN
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
const LIBVIRT = `*filter
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
 * xt_CHECKSUM runs only in a table named mangle (so not through nft_compat here).
 */
export const LIBVIRT_CHECKSUM_RULE =
  '-t mangle -A POSTROUTING -o fs -p udp -m udp --dport 68 -j CHECKSUM --checksum-fill';

/**
 * A router/VPN script: LAN (fs) to WAN (fc) with MSS clamping, a multi-WAN connmark, DSCP
 * for VoIP, rate-limited ICMP and logging, the LAN's MAC allow-list, TTL and length sanity.
 */
const ROUTER = `*mangle
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

/** Every table with no rule and ACCEPT policies: what a client scenario leaves behind. */
export const EMPTY_TABLES = ['raw', 'mangle', 'nat', 'filter']
  .map((table) => {
    const builtins: Record<string, string[]> = {
      raw: ['PREROUTING', 'OUTPUT'],
      mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
      nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
      filter: ['INPUT', 'FORWARD', 'OUTPUT'],
    };
    const policies = builtins[table]!.map((chain) => `:${chain} ACCEPT [0:0]`);
    return [`*${table}`, ...policies, 'COMMIT', ''].join('\n');
  })
  .join('');

/** The client rule sets and the flows both twins must agree on. */
export const CLIENTS: Scenario[] = [
  {
    name: 'ufw (logging on): allowed ports, the default deny, echo',
    rules: UFW,
    probes: [
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: `connected:${C}` },
      { from: 'C', kind: 'tcp', host: F, port: 8080, expect: `connected:${C}` },
      { from: 'C', kind: 'tcp', host: F, port: 9000, expect: 'timeout' },
      { from: 'C', kind: 'udp', host: F, port: 53, expect: 'timeout' },
      { from: 'C', kind: 'ping', host: F, expect: 'reply' },
    ],
  },
  {
    name: 'ufw with `ufw limit 22/tcp`: the 6th new connection in 30 s rejected, as ufw means',
    rules: UFW.replace(
      '-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT',
      [
        ...UFW_LIMIT_RULES,
        '-A ufw-user-input -p tcp -m tcp --dport 22 -j ufw-user-limit-accept',
      ].join('\n'),
    ),
    probes: [
      ...Array.from({ length: 5 }, () => ({
        from: 'C' as const,
        kind: 'tcp' as const,
        host: F,
        port: 22,
        expect: `connected:${C}`,
      })),
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'ECONNREFUSED' },
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'ECONNREFUSED' },
      { from: 'C', kind: 'tcp', host: F, port: 80, expect: `connected:${C}` },
    ],
  },
  {
    name: 'Docker: a published port, the bridge isolated, the container masqueraded',
    rules: DOCKER,
    probes: [
      { from: 'C', kind: 'tcp', host: F, port: 7080, expect: `connected:${C}` },
      { from: 'C', kind: 'tcp', host: S, port: 80, expect: 'timeout' },
      { from: 'S', kind: 'tcp', host: C, port: 22, expect: `connected:${F}` },
    ],
  },
  {
    name: 'fail2ban: a banned address rejected on the jail ports only',
    rules: FAIL2BAN,
    probes: [
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'ECONNREFUSED' },
      { from: 'C', kind: 'tcp', host: F, port: 80, expect: `connected:${C}` },
    ],
  },
  {
    name: 'kube-proxy: a cluster IP load-balanced by statistic, client affinity by recent, marked and masqueraded',
    rules: KUBE_PROXY,
    probes: [
      { from: 'C', kind: 'tcp', host: '10.96.0.10', port: 80, expect: 'connected:10.2.0.1' },
      { from: 'C', kind: 'tcp', host: '10.96.0.10', port: 80, expect: 'connected:10.2.0.1' },
      { from: 'C', kind: 'tcp', host: S, port: 22, expect: `connected:${C}` },
    ],
  },
  {
    name: "libvirt: the guests' network masqueraded, new connections to it rejected",
    rules: LIBVIRT,
    probes: [
      { from: 'S', kind: 'tcp', host: C, port: 80, expect: `connected:${F}` },
      { from: 'C', kind: 'tcp', host: S, port: 80, expect: 'ECONNREFUSED' },
    ],
  },
  {
    name: 'router/VPN: MSS clamping, connmark, DSCP, limit, mac, ttl, length, owner',
    rules: ROUTER,
    probes: [
      { from: 'S', kind: 'tcp', host: C, port: 80, expect: `connected:${F}` },
      { from: 'C', kind: 'tcp', host: S, port: 80, expect: 'timeout' },
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'timeout' },
      { from: 'S', kind: 'tcp', host: '10.2.0.1', port: 22, expect: 'connected:10.2.0.2' },
      { from: 'C', kind: 'ping', host: F, expect: 'reply' },
    ],
  },
];
