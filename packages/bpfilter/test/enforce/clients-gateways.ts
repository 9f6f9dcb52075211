/**
 * Gateways as they install themselves, in the twins' topology (`fc` the uplink, `fs` the
 * tunnel or the LAN, S behind it): an OpenVPN server's rules from openvpn-install, and a
 * Shorewall two-interface firewall as its compiler writes it.
 */
import { mangleTable, natTable, rawTable } from './save-tables.js';
import { chains } from './scenario-parts.js';
import { S } from './topology.js';

/** The server before openvpn-install adds its rules: closed but for SSH. */
export const OPENVPN_BASE = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`;

/**
 * angristan/openvpn-install's /etc/iptables/add-openvpn-rules.sh (run by its
 * iptables-openvpn unit when the server starts), one command each, with NIC = fc, the
 * tunnel tun0 = fs, the VPN's 10.8.0.0/24 = 10.2.0.0/24 and the default port 1194/udp.
 */
export const OPENVPN_UP = [
  '-t nat -I POSTROUTING 1 -s 10.2.0.0/24 -o fc -j MASQUERADE',
  '-I INPUT 1 -i fs -j ACCEPT',
  '-I FORWARD 1 -i fc -o fs -j ACCEPT',
  '-I FORWARD 1 -i fs -o fc -j ACCEPT',
  '-I INPUT 1 -i fc -p udp --dport 1194 -j ACCEPT',
];

/** Its rm-openvpn-rules.sh, run when the server stops: each rule deleted by its spec. */
export const OPENVPN_DOWN = OPENVPN_UP.map((command) => command.replace(/-I (\w+) 1 /, '-D $1 '));

/** Shorewall's LOGLIMIT="s:1/sec:10": one hashlimit table per source, shared by every log. */
const LIMIT =
  '-m hashlimit --hashlimit-upto 1/sec --hashlimit-burst 10 --hashlimit-mode srcip --hashlimit-name lograte';
/** A rule logging with LOGFORMAT="Shorewall:%s:%s:" at info. */
const log = (chain: string, disposition: string, extra = '') =>
  `-A ${chain} ${LIMIT} -j LOG --log-prefix "Shorewall:${chain}:${disposition}:" --log-level 6${extra}`;
/** The end of a chain whose policy is `disposition`: broadcasts dropped, the rest logged. */
const policy = (chain: string, disposition: 'DROP' | 'REJECT') => [
  ...['BROADCAST', 'ANYCAST', 'MULTICAST'].map(
    (type) => `-A ${chain} -m addrtype --dst-type ${type} -j DROP`,
  ),
  log(chain, disposition),
  disposition === 'DROP' ? `-A ${chain} -j DROP` : `-A ${chain} -g reject`,
];
/** Zone chains checking the dynamic blacklist (DYNAMIC_BLACKLIST=Yes), then smurfs and flags. */
const screened = (chain: string, net: boolean) => [
  `-A ${chain} -m conntrack --ctstate INVALID,NEW,UNTRACKED -j dynamic`,
  ...(net
    ? [
        `-A ${chain} -m conntrack --ctstate INVALID,NEW,UNTRACKED -j smurfs`,
        `-A ${chain} -p tcp -j tcpflags`,
      ]
    : []),
];
const ESTABLISHED = (chain: string) =>
  `-A ${chain} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`;
const FLAGS = [
  'FIN,SYN,RST,PSH,ACK,URG FIN,PSH,URG',
  'FIN,SYN,RST,PSH,ACK,URG NONE',
  'SYN,RST SYN,RST',
  'FIN,RST FIN,RST',
  'FIN,SYN FIN,SYN',
  'FIN,PSH,ACK FIN,PSH',
];

/**
 * The SSH rate: the case counts the burst of 5 out and expects the 6th connection refused, so
 * no token may come back while it runs. At Shorewall's usual 3/min one does every 20 s, and
 * under load the case takes longer than that (41 s once: the 6th got through in both twins);
 * at 3/hour the first comes back after 20 min, long after the case's own timeout.
 */
const SSH_RATE = '3/hour';

/**
 * Shorewall 5.2's compiled ruleset for its two-interfaces sample (net = fc, loc = fs, policies
 * $FW/loc to net ACCEPT, net DROP, the rest REJECT, all logged at info), with rules
 * DNS(ACCEPT), SSH(ACCEPT) and Ping(ACCEPT) from loc, SSH(ACCEPT) from net at RATE
 * s:SSH:3/hour:5 (SSH_RATE), Ping(DROP) from net, `DNAT net loc:S:22 tcp 2222`, DNS to S
 * from net, and the LAN masqueraded (snat). The LOGFORMAT is the "Shorewall:%s:%s:" of configurations kept
 * from before 5.2. Its chains: zone pairs (net-fw, loc-net, ...), the interfaces' dispatch
 * chains (net_frwd, net_dnat, fc_masq), dynamic, smurfs, tcpflags, logflags, reject.
 */
export const SHOREWALL = `${mangleTable(
  chains('tcfor', 'tcin', 'tcout', 'tcpost', 'tcpre'),
  '-A PREROUTING -j tcpre',
  '-A INPUT -j tcin',
  '-A FORWARD -j MARK --set-xmark 0x0/0xff',
  '-A FORWARD -j tcfor',
  '-A OUTPUT -j tcout',
  '-A POSTROUTING -j tcpost',
)}${natTable(
  chains('fc_masq', 'net_dnat'),
  '-A PREROUTING -i fc -j net_dnat',
  '-A POSTROUTING -o fc -j fc_masq',
  '-A fc_masq -s 10.2.0.0/24 -j MASQUERADE',
  `-A net_dnat -p tcp -m tcp --dport 2222 -j DNAT --to-destination ${S}:22`,
)}*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
${[
  'dynamic',
  'fw-loc',
  'fw-net',
  'loc-fw',
  'loc-net',
  'loc_frwd',
  'logdrop',
  'logflags',
  'net-fw',
  'net-loc',
  'net_frwd',
  'reject',
  'smurflog',
  'smurfs',
  'tcpflags',
]
  .map((chain) => `:${chain} - [0:0]`)
  .join('\n')}
-A INPUT -i fc -j net-fw
-A INPUT -i fs -j loc-fw
-A INPUT -i lo -j ACCEPT
${policy('INPUT', 'REJECT').join('\n')}
-A FORWARD -i fc -j net_frwd
-A FORWARD -i fs -j loc_frwd
${policy('FORWARD', 'REJECT').join('\n')}
-A OUTPUT -o fc -j fw-net
-A OUTPUT -o fs -j fw-loc
-A OUTPUT -o lo -j ACCEPT
${policy('OUTPUT', 'REJECT').join('\n')}
${ESTABLISHED('fw-loc')}
-A fw-loc -p icmp -j ACCEPT
${policy('fw-loc', 'REJECT').join('\n')}
${ESTABLISHED('fw-net')}
-A fw-net -j ACCEPT
${screened('loc-fw', false).join('\n')}
${ESTABLISHED('loc-fw')}
-A loc-fw -p udp -m udp --dport 53 -j ACCEPT
-A loc-fw -p tcp -m tcp --dport 53 -j ACCEPT
-A loc-fw -p tcp -m tcp --dport 22 -j ACCEPT
-A loc-fw -p icmp -m icmp --icmp-type 8 -j ACCEPT
${policy('loc-fw', 'REJECT').join('\n')}
${ESTABLISHED('loc-net')}
-A loc-net -j ACCEPT
${screened('loc_frwd', false).join('\n')}
-A loc_frwd -o fc -j loc-net
${log('logdrop', 'DROP')}
-A logdrop -j DROP
${log('logflags', 'DROP', ' --log-ip-options')}
-A logflags -j DROP
${screened('net-fw', true).join('\n')}
${ESTABLISHED('net-fw')}
-A net-fw -p icmp -m icmp --icmp-type 8 -j DROP
-A net-fw -p tcp -m tcp --dport 22 -m hashlimit --hashlimit-upto ${SSH_RATE} --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name SSH -j ACCEPT
${policy('net-fw', 'DROP').join('\n')}
${ESTABLISHED('net-loc')}
-A net-loc -d ${S}/32 -p tcp -m tcp --dport 22 -j ACCEPT
-A net-loc -d ${S}/32 -p udp -m udp --dport 53 -j ACCEPT
${policy('net-loc', 'DROP').join('\n')}
${screened('net_frwd', true).join('\n')}
-A net_frwd -o fs -j net-loc
-A reject -m addrtype --src-type BROADCAST -j DROP
-A reject -s 224.0.0.0/4 -j DROP
-A reject -p igmp -j DROP
-A reject -p tcp -j REJECT --reject-with tcp-reset
-A reject -p udp -j REJECT --reject-with icmp-port-unreachable
-A reject -p icmp -j REJECT --reject-with icmp-host-unreachable
-A reject -j REJECT --reject-with icmp-host-prohibited
${log('smurflog', 'DROP')}
-A smurflog -j DROP
-A smurfs -s 0.0.0.0/32 -j RETURN
-A smurfs -m addrtype --src-type BROADCAST -g smurflog
-A smurfs -s 224.0.0.0/4 -g smurflog
${FLAGS.map((flags) => `-A tcpflags -p tcp -m tcp --tcp-flags ${flags} -g logflags`).join('\n')}
-A tcpflags -p tcp -m tcp --sport 0 --tcp-flags FIN,SYN,RST,ACK SYN -g logflags
COMMIT
`;

/** `shorewall logdrop 10.1.0.77`: the address put on the dynamic blacklist, logged and dropped. */
export const SHOREWALL_LOGDROP = '-A dynamic -s 10.1.0.77/32 -j logdrop';

/** fw3's comment on a rule: `!fw3` and what the rule is for. */
const fw3 = (what = '') => `-m comment --comment "!fw3${what ? `: ${what}` : ''}"`;
/** A zone chain's jump to its custom rule chain (fw3 makes one per zone and direction). */
const custom = (zone: string, chain: string, what: string) =>
  `-A zone_${zone}_${chain} ${fw3(`Custom ${zone} ${what} rule chain`)} -j ${what}_${zone}_rule`;
const FWD_DNAT = `-m conntrack --ctstate DNAT ${fw3('Accept port forwards')} -j ACCEPT`;
const IN_DNAT = `-m conntrack --ctstate DNAT ${fw3('Accept port redirections')} -j ACCEPT`;

/**
 * OpenWrt 21.02's fw3 (iptables) with its default zones, lan = br-lan (fs, 10.2.0.0/24) and
 * wan = fc, the default wan rules (Allow-DHCP-Renew, Allow-Ping, Allow-IGMP, IPsec to lan),
 * SYN flood protection, MSS clamping on wan, a port forward "ssh" (wan 2222 to S:22) with
 * NAT reflection, and lan's conntrack helpers (auto_helper: xt_CT templates in raw), as
 * `iptables-save` prints what fw3 restores: a "!fw3" comment on each rule.
 */
export const FW3 = `${rawTable(
  ':zone_lan_helper - [0:0]',
  `-A PREROUTING -i fs ${fw3('lan CT helper assignment')} -j zone_lan_helper`,
  `-A zone_lan_helper -p tcp -m tcp --dport 21 ${fw3('FTP passive connection tracking')} -j CT --helper ftp`,
  `-A zone_lan_helper -p udp -m udp --dport 69 ${fw3('TFTP connection tracking')} -j CT --helper tftp`,
)}${mangleTable(
  `-A FORWARD -o fc -p tcp -m tcp --tcp-flags SYN,RST SYN ${fw3('Zone wan MTU fixing')} -j TCPMSS --clamp-mss-to-pmtu`,
)}${natTable(
  chains(
    ...['lan', 'wan'].flatMap((z) => [
      `postrouting_${z}_rule`,
      `prerouting_${z}_rule`,
      `zone_${z}_postrouting`,
      `zone_${z}_prerouting`,
    ]),
    'postrouting_rule',
    'prerouting_rule',
  ),
  `-A PREROUTING ${fw3('Custom prerouting rule chain')} -j prerouting_rule`,
  `-A PREROUTING -i fs ${fw3()} -j zone_lan_prerouting`,
  `-A PREROUTING -i fc ${fw3()} -j zone_wan_prerouting`,
  `-A POSTROUTING ${fw3('Custom postrouting rule chain')} -j postrouting_rule`,
  `-A POSTROUTING -o fs ${fw3()} -j zone_lan_postrouting`,
  `-A POSTROUTING -o fc ${fw3()} -j zone_wan_postrouting`,
  custom('lan', 'postrouting', 'postrouting'),
  `-A zone_lan_postrouting -s 10.2.0.0/24 -d ${S}/32 -p tcp -m tcp --dport 22 ${fw3('ssh (reflection)')} -j SNAT --to-source 10.2.0.1`,
  custom('lan', 'prerouting', 'prerouting'),
  `-A zone_lan_prerouting -s 10.2.0.0/24 -d 10.1.0.1/32 -p tcp -m tcp --dport 2222 ${fw3('ssh (reflection)')} -j DNAT --to-destination ${S}:22`,
  custom('wan', 'postrouting', 'postrouting'),
  `-A zone_wan_postrouting ${fw3()} -j MASQUERADE`,
  custom('wan', 'prerouting', 'prerouting'),
  `-A zone_wan_prerouting -p tcp -m tcp --dport 2222 ${fw3('ssh')} -j DNAT --to-destination ${S}:22`,
)}*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${chains(...['forwarding', 'input', 'output'].flatMap((d) => [`${d}_lan_rule`, `${d}_rule`, `${d}_wan_rule`]), 'reject', 'syn_flood', ...['lan_dest_ACCEPT', 'lan_forward', 'lan_input', 'lan_output', 'lan_src_ACCEPT', 'wan_dest_ACCEPT', 'wan_dest_REJECT', 'wan_forward', 'wan_input', 'wan_output', 'wan_src_REJECT'].map((c) => `zone_${c}`))}
-A INPUT -i lo ${fw3()} -j ACCEPT
-A INPUT ${fw3('Custom input rule chain')} -j input_rule
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED ${fw3()} -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN ${fw3()} -j syn_flood
-A INPUT -i fs ${fw3()} -j zone_lan_input
-A INPUT -i fc ${fw3()} -j zone_wan_input
-A FORWARD ${fw3('Custom forwarding rule chain')} -j forwarding_rule
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED ${fw3()} -j ACCEPT
-A FORWARD -i fs ${fw3()} -j zone_lan_forward
-A FORWARD -i fc ${fw3()} -j zone_wan_forward
-A FORWARD ${fw3()} -j reject
-A OUTPUT -o lo ${fw3()} -j ACCEPT
-A OUTPUT ${fw3('Custom output rule chain')} -j output_rule
-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED ${fw3()} -j ACCEPT
-A OUTPUT -o fs ${fw3()} -j zone_lan_output
-A OUTPUT -o fc ${fw3()} -j zone_wan_output
-A reject -p tcp ${fw3()} -j REJECT --reject-with tcp-reset
-A reject ${fw3()} -j REJECT --reject-with icmp-port-unreachable
-A syn_flood -p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -m limit --limit 25/sec --limit-burst 50 ${fw3()} -j RETURN
-A syn_flood ${fw3()} -j DROP
-A zone_lan_dest_ACCEPT -o fs ${fw3()} -j ACCEPT
${custom('lan', 'forward', 'forwarding')}
-A zone_lan_forward ${fw3('Zone lan to wan forwarding policy')} -j zone_wan_dest_ACCEPT
-A zone_lan_forward ${FWD_DNAT}
-A zone_lan_forward ${fw3()} -j zone_lan_dest_ACCEPT
${custom('lan', 'input', 'input')}
-A zone_lan_input ${IN_DNAT}
-A zone_lan_input ${fw3()} -j zone_lan_src_ACCEPT
${custom('lan', 'output', 'output')}
-A zone_lan_output ${fw3()} -j zone_lan_dest_ACCEPT
-A zone_lan_src_ACCEPT -i fs -m conntrack --ctstate NEW,UNTRACKED ${fw3()} -j ACCEPT
-A zone_wan_dest_ACCEPT -o fc -m conntrack --ctstate INVALID ${fw3('Prevent NAT leakage')} -j DROP
-A zone_wan_dest_ACCEPT -o fc ${fw3()} -j ACCEPT
-A zone_wan_dest_REJECT -o fc ${fw3()} -j reject
${custom('wan', 'forward', 'forwarding')}
-A zone_wan_forward -p esp ${fw3('Allow-IPSec-ESP')} -j zone_lan_dest_ACCEPT
-A zone_wan_forward -p udp -m udp --dport 500 ${fw3('Allow-ISAKMP')} -j zone_lan_dest_ACCEPT
-A zone_wan_forward ${FWD_DNAT}
-A zone_wan_forward ${fw3()} -j zone_wan_dest_REJECT
${custom('wan', 'input', 'input')}
-A zone_wan_input -p udp -m udp --dport 68 ${fw3('Allow-DHCP-Renew')} -j ACCEPT
-A zone_wan_input -p icmp -m icmp --icmp-type 8 ${fw3('Allow-Ping')} -j ACCEPT
-A zone_wan_input -p igmp ${fw3('Allow-IGMP')} -j ACCEPT
-A zone_wan_input ${IN_DNAT}
-A zone_wan_input ${fw3()} -j zone_wan_src_REJECT
${custom('wan', 'output', 'output')}
-A zone_wan_output ${fw3()} -j zone_wan_dest_ACCEPT
-A zone_wan_src_REJECT -i fc ${fw3()} -j reject
COMMIT
`;
