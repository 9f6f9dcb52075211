/**
 * Kubernetes network plugins beside Calico (clients-calico.ts), as `iptables-save` prints
 * what they program, in the twins' topology (the pod S behind `fs`, the node F, C outside):
 * kube-router's network policy controller (k3s's default), and Cilium's legacy iptables
 * mode with its proxy and masquerade marks.
 */
import { mangleTable, natTable, rawTable } from './save-tables.js';
import { chains } from './scenario-parts.js';
import { C, S } from './topology.js';

const POD_FW = 'KUBE-POD-FW-5YBMYJ3GZ2HLKEQV';
const POLICY = 'KUBE-NWPLCY-QRKWZWXCR6BO5NRQ';
const POD = `POD name:web namespace: default`;

/** kube-router's hash:ip ipsets (name: members) for the policy's source pods and its target pod. */
export const KUBE_ROUTER_IPS: Record<string, string[]> = {
  'KUBE-SRC-JBSXKLHQ2VD5XIBB': [C],
  'KUBE-DST-DCDR4HDTH2XJPVIX': [S],
};

/**
 * kube-router 2.x: the pod's firewall chain, run from INPUT, FORWARD and OUTPUT; a policy
 * admitting the source set to TCP 8080 by marking 0x10000/0x10000; what no policy marked
 * logged to NFLOG group 100 (rate-limited) and rejected; what passed marked 0x20000/0x20000
 * and accepted by that mark at the end.
 */
export const KUBE_ROUTER = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('KUBE-NWPLCY-DEFAULT', POLICY, POD_FW, 'KUBE-ROUTER-FORWARD', 'KUBE-ROUTER-INPUT', 'KUBE-ROUTER-OUTPUT')}
-A INPUT -m comment --comment "kube-router netpol - 4IA2OSFRMVNDXBVV" -j KUBE-ROUTER-INPUT
-A FORWARD -m comment --comment "kube-router netpol - TEMCG2JMHZYE7H7T" -j KUBE-ROUTER-FORWARD
-A OUTPUT -m comment --comment "kube-router netpol - VEAAIY32XVBHCSCY" -j KUBE-ROUTER-OUTPUT
-A KUBE-NWPLCY-DEFAULT -m comment --comment "rule to mark traffic matching a network policy" -j MARK --set-xmark 0x10000/0x10000
-A ${POLICY} -m comment --comment "rule to ACCEPT traffic from source pods to dest pods selected by policy name allow-clients namespace default" -m set --match-set KUBE-SRC-JBSXKLHQ2VD5XIBB src -m set --match-set KUBE-DST-DCDR4HDTH2XJPVIX dst -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x10000/0x10000
-A ${POLICY} -m comment --comment "rule to ACCEPT traffic from source pods to dest pods selected by policy name allow-clients namespace default" -m set --match-set KUBE-SRC-JBSXKLHQ2VD5XIBB src -m set --match-set KUBE-DST-DCDR4HDTH2XJPVIX dst -p tcp -m tcp --dport 8080 -m mark --mark 0x10000/0x10000 -j RETURN
-A ${POD_FW} -m comment --comment "rule for stateful firewall for pod" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ${POD_FW} -m comment --comment "rule to drop invalid state for pod" -m conntrack --ctstate INVALID -j DROP
-A ${POD_FW} -d ${S}/32 -m addrtype --src-type LOCAL -m comment --comment "rule to permit the traffic traffic to pods when source is the pod's local node" -j ACCEPT
-A ${POD_FW} -d ${S}/32 -m comment --comment "run through nw policy allow-clients" -j ${POLICY}
-A ${POD_FW} -s ${S}/32 -m comment --comment "run through default egress network policy  chain" -j KUBE-NWPLCY-DEFAULT
-A ${POD_FW} -m comment --comment "rule to log dropped traffic ${POD}" -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100
-A ${POD_FW} -m comment --comment "rule to REJECT traffic destined for ${POD}" -m mark ! --mark 0x10000/0x10000 -j REJECT --reject-with icmp-port-unreachable
-A ${POD_FW} -j MARK --set-xmark 0x0/0x10000
-A ${POD_FW} -m comment --comment "set mark to ACCEPT traffic that comply to network policies" -j MARK --set-xmark 0x20000/0x20000
-A KUBE-ROUTER-FORWARD -d ${S}/32 -m comment --comment "rule to jump traffic destined to ${POD} to chain ${POD_FW}" -j ${POD_FW}
-A KUBE-ROUTER-FORWARD -s ${S}/32 -m comment --comment "rule to jump traffic from ${POD} to chain ${POD_FW}" -j ${POD_FW}
-A KUBE-ROUTER-FORWARD -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT
-A KUBE-ROUTER-INPUT -d 10.43.0.0/16 -m comment --comment "allow traffic to primary/secondary cluster IP range - TR3ODK6E3VNRKUO6" -j RETURN
-A KUBE-ROUTER-INPUT -p tcp -m comment --comment "allow LOCAL TCP traffic to node ports - LR7XO7NXDBGQJD2M" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN
-A KUBE-ROUTER-INPUT -p udp -m comment --comment "allow LOCAL UDP traffic to node ports - 76UCBPIZNGJNWNUZ" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN
-A KUBE-ROUTER-INPUT -s ${S}/32 -m comment --comment "rule to jump traffic from ${POD} to chain ${POD_FW}" -j ${POD_FW}
-A KUBE-ROUTER-INPUT -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT
-A KUBE-ROUTER-OUTPUT -d ${S}/32 -m comment --comment "rule to jump traffic destined to ${POD} to chain ${POD_FW}" -j ${POD_FW}
-A KUBE-ROUTER-OUTPUT -m comment --comment "rule to explicitly ACCEPT traffic that comply to network policies" -m mark --mark 0x20000/0x20000 -j ACCEPT
COMMIT
`;

/**
 * Cilium 1.14 in its legacy iptables mode (routing through the host, pods on fs): proxy
 * marks (0x200/0xf00) untracked in raw and accepted, the feeder rule with five inverted mark
 * tests, the transparent-socket redirect (-m socket), and masquerade of pods leaving for
 * outside the cluster.
 */
export const CILIUM = `${rawTable(
  chains('CILIUM_OUTPUT_raw', 'CILIUM_PRE_raw'),
  '-A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_raw" -j CILIUM_PRE_raw',
  '-A OUTPUT -m comment --comment "cilium-feeder: CILIUM_OUTPUT_raw" -j CILIUM_OUTPUT_raw',
  '-A CILIUM_OUTPUT_raw -o lxc+ -m mark --mark 0xa00/0xfffffeff -m comment --comment "cilium: NOTRACK for proxy return traffic" -j CT --notrack',
  '-A CILIUM_OUTPUT_raw -o cilium_host -m mark --mark 0xa00/0xfffffeff -m comment --comment "cilium: NOTRACK for proxy return traffic" -j CT --notrack',
  '-A CILIUM_PRE_raw -m mark --mark 0x200/0xf00 -m comment --comment "cilium: NOTRACK for proxy traffic" -j CT --notrack',
)}${mangleTable(
  chains('CILIUM_POST_mangle', 'CILIUM_PRE_mangle'),
  '-A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_mangle" -j CILIUM_PRE_mangle',
  '-A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_mangle" -j CILIUM_POST_mangle',
  '-A CILIUM_PRE_mangle ! -o lo -m socket --transparent -m mark ! --mark 0xe00/0xf00 -m mark ! --mark 0x800/0xf00 -m comment --comment "cilium: any->pod redirect proxied traffic to host proxy" -j MARK --set-xmark 0x200/0xffffffff',
  '-A CILIUM_PRE_mangle -p tcp -m mark --mark 0x3b0a0200 -m comment --comment "cilium: TPROXY to host cilium-dns-egress proxy" -j TPROXY --on-port 2619 --on-ip 127.0.0.1 --tproxy-mark 0x200/0xffffffff',
)}${natTable(
  chains('CILIUM_OUTPUT_nat', 'CILIUM_POST_nat', 'CILIUM_PRE_nat'),
  '-A PREROUTING -m comment --comment "cilium-feeder: CILIUM_PRE_nat" -j CILIUM_PRE_nat',
  '-A OUTPUT -m comment --comment "cilium-feeder: CILIUM_OUTPUT_nat" -j CILIUM_OUTPUT_nat',
  '-A POSTROUTING -m comment --comment "cilium-feeder: CILIUM_POST_nat" -j CILIUM_POST_nat',
  '-A CILIUM_POST_nat -s 10.2.0.0/24 ! -d 10.2.0.0/24 ! -o fs -m comment --comment "cilium masquerade non-cluster" -j MASQUERADE',
  '-A CILIUM_POST_nat -m mark --mark 0xa00/0xe00 -m comment --comment "exclude proxy return traffic from masquerade" -j ACCEPT',
  '-A CILIUM_POST_nat -s 127.0.0.1/32 -o fs -m comment --comment "cilium host->cluster from 127.0.0.1 masquerade" -j SNAT --to-source 10.2.0.1',
)}*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
${chains('CILIUM_FORWARD', 'CILIUM_INPUT', 'CILIUM_OUTPUT')}
-A INPUT -m comment --comment "cilium-feeder: CILIUM_INPUT" -j CILIUM_INPUT
-A FORWARD -m comment --comment "cilium-feeder: CILIUM_FORWARD" -j CILIUM_FORWARD
-A OUTPUT -m comment --comment "cilium-feeder: CILIUM_OUTPUT" -j CILIUM_OUTPUT
-A CILIUM_FORWARD -o fs -m comment --comment "cilium: any->cluster on cilium_host forward accept" -j ACCEPT
-A CILIUM_FORWARD -i fs -m comment --comment "cilium: cluster->any on cilium_host forward accept (nodeport)" -j ACCEPT
-A CILIUM_FORWARD -i lxc+ -m comment --comment "cilium: cluster->any on lxc+ forward accept" -j ACCEPT
-A CILIUM_INPUT -m mark --mark 0x200/0xf00 -m comment --comment "cilium: ACCEPT for proxy traffic" -j ACCEPT
-A CILIUM_OUTPUT -m mark --mark 0xa00/0xfffffeff -m comment --comment "cilium: ACCEPT for proxy return traffic" -j ACCEPT
-A CILIUM_OUTPUT -m mark ! --mark 0xe00/0xf00 -m mark ! --mark 0xd00/0xf00 -m mark ! --mark 0xa00/0xe00 -m mark ! --mark 0x800/0xe00 -m mark ! --mark 0xf00/0xf00 -m comment --comment "cilium: host->any mark as from host" -j MARK --set-xmark 0xc00/0xf00
COMMIT
`;
