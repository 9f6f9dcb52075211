/**
 * Kubernetes overlay networks as they install themselves beside kube-proxy, in the twins'
 * topology (the node's pods on the bridge `fs`, the pod S, C outside): flannel's masquerade
 * and forward chains, and Weave Net's network policy controller (weave-npc) with its ipsets.
 * The cluster network is 10.2.0.0/16 (flannel's 10.244.0.0/16, Weave's 10.32.0.0/12), the
 * node's pod subnet 10.2.0.0/24.
 */
import { natTable } from './save-tables.js';
import { chains } from './scenario-parts.js';
import { S } from './topology.js';

const NET = '10.2.0.0/16';
const SVC = 'default/web';

/**
 * kube-proxy 1.29 (iptables mode) before flannel: service web with NodePorts 30080/tcp (to
 * S:80) and 30053/udp (to S:53), one endpoint each; external traffic marked 0x4000/0x4000
 * and masqueraded in KUBE-POSTROUTING; FORWARD's policy DROP (the Docker on the node).
 */
export const KUBE_PROXY_NODEPORTS = `${natTable(
  chains(
    'KUBE-EXT-DNS',
    'KUBE-EXT-WEB',
    'KUBE-MARK-MASQ',
    'KUBE-NODEPORTS',
    'KUBE-POSTROUTING',
    'KUBE-SEP-DNS',
    'KUBE-SEP-WEB',
    'KUBE-SERVICES',
    'KUBE-SVC-DNS',
    'KUBE-SVC-WEB',
  ),
  '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
  ...['DNS', 'WEB'].flatMap((s) => [
    `-A KUBE-EXT-${s} -m comment --comment "masquerade traffic for ${SVC} external destinations" -j KUBE-MARK-MASQ`,
    `-A KUBE-EXT-${s} -j KUBE-SVC-${s}`,
  ]),
  '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
  `-A KUBE-NODEPORTS -p udp -m comment --comment "${SVC}:dns" -m udp --dport 30053 -j KUBE-EXT-DNS`,
  `-A KUBE-NODEPORTS -p tcp -m comment --comment "${SVC}:http" -m tcp --dport 30080 -j KUBE-EXT-WEB`,
  '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
  '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
  '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  `-A KUBE-SEP-DNS -s ${S}/32 -m comment --comment "${SVC}:dns" -j KUBE-MARK-MASQ`,
  `-A KUBE-SEP-DNS -p udp -m comment --comment "${SVC}:dns" -m udp -j DNAT --to-destination ${S}:53`,
  `-A KUBE-SEP-WEB -s ${S}/32 -m comment --comment "${SVC}:http" -j KUBE-MARK-MASQ`,
  `-A KUBE-SEP-WEB -p tcp -m comment --comment "${SVC}:http" -m tcp -j DNAT --to-destination ${S}:80`,
  '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  `-A KUBE-SVC-DNS -m comment --comment "${SVC}:dns -> ${S}:53" -j KUBE-SEP-DNS`,
  `-A KUBE-SVC-WEB -m comment --comment "${SVC}:http -> ${S}:80" -j KUBE-SEP-WEB`,
)}*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-FORWARD - [0:0]
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`;

/** flanneld's chains, made empty first (its CreateIP4Chain: `iptables -N`). */
export const FLANNEL_CHAINS = ['-t nat -N FLANNEL-POSTRTG', '-t filter -N FLANNEL-FWD'];

const MASQ = '-m comment --comment "flanneld masq"';
const FWD = '-m comment --comment "flanneld forward"';

/**
 * flannel 0.25's MasqRules (random-fully supported) and ForwardRules
 * (pkg/trafficmngr/iptables), each set sent as its own `iptables-restore --noflush`: the
 * jumps inserted first in POSTROUTING and FORWARD, kube-proxy's mark returned from unNATed,
 * the pods masqueraded leaving the cluster network, the host masqueraded entering it.
 */
export const FLANNEL_MASQ = `*nat
-I POSTROUTING ${MASQ} -j FLANNEL-POSTRTG
-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 ${MASQ} -j RETURN
-A FLANNEL-POSTRTG -s ${NET} -d ${NET} ${MASQ} -j RETURN
-A FLANNEL-POSTRTG -s ${NET} ! -d 224.0.0.0/4 ${MASQ} -j MASQUERADE --random-fully
-A FLANNEL-POSTRTG ! -s ${NET} -d 10.2.0.0/24 ${MASQ} -j RETURN
-A FLANNEL-POSTRTG ! -s ${NET} -d ${NET} ${MASQ} -j MASQUERADE --random-fully
COMMIT
`;
export const FLANNEL_FORWARD = `*filter
-I FORWARD ${FWD} -j FLANNEL-FWD
-A FLANNEL-FWD -s ${NET} ${FWD} -j ACCEPT
-A FLANNEL-FWD -d ${NET} ${FWD} -j ACCEPT
COMMIT
`;

/**
 * weave-npc's ipsets, named as a real node's `iptables-save` names them (weave-npc hashes
 * namespace and selector names into 25 printable characters: `;`, `$`, `|`, brackets):
 * namespaces kube-system and kube-public default-allow ingress; default's pods may leave.
 */
export const WEAVE_IPS: Record<string, string[]> = {
  'weave-P.B|!ZhkAr5q=XZ?3}tMBA+0': ['10.2.0.7'],
  'weave-Rzff}h:=]JaaJl/G;(XJpGjZ[': ['10.2.0.8'],
  'weave-s_+ChJId4Uy_$}G;WdH|~TK)I': [S],
  // The policy's target pods (app=web in default).
  'weave-v/q_G.;Ns!CGTy3Hm9L]%^|[': [S],
};
/** The policy's ipBlock (C's /24), and the node's pods, never masqueraded towards. */
export const WEAVE_NETS: Record<string, string[]> = {
  'weave-4r+7yM#K8ed,0.~_{aCl|C]$t': ['10.1.0.0/24'],
  'weaver-no-masq-local': ['10.2.0.0/24'],
};

const NOTE = `-m comment --comment "NOTE: this must go before \\'-j KUBE-FORWARD\\'"`;
const NOT_ACCEPTED = '-m mark ! --mark 0x40000/0x40000';
const egressDefault = (set: string, ns: string) =>
  ['WEAVE-NPC-EGRESS-ACCEPT', 'RETURN'].map(
    (target) =>
      `-A WEAVE-NPC-EGRESS-DEFAULT -m set --match-set ${set} src -m comment --comment "DefaultAllow egress isolation for namespace: ${ns}" -j ${target}`,
  );

/**
 * Weave Net 2.8.1 (weave-npc's npc/iptables rules, the comment as iptables 1.6's save escaped
 * it, and the router's WEAVE nat chain), with the bridge `weave` = fs: ingress to pods only
 * by a namespace's default or a policy (TCP 8080 from C's /24 to app=web), the rest of NEW
 * traffic NFLOGged to group 86 and dropped; egress by default-allow, marked 0x40000/0x40000.
 */
export const WEAVE = `${natTable(
  ':WEAVE - [0:0]',
  '-A POSTROUTING -j WEAVE',
  '-A WEAVE -m set --match-set weaver-no-masq-local dst -m comment --comment "Prevent SNAT to locally running containers" -j RETURN',
  `-A WEAVE -s ${NET} -d 224.0.0.0/4 -j RETURN`,
  `-A WEAVE ! -s ${NET} -d ${NET} -j MASQUERADE`,
  `-A WEAVE -s ${NET} ! -d ${NET} -j MASQUERADE`,
)}*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('WEAVE-CANARY', 'WEAVE-NPC', 'WEAVE-NPC-DEFAULT', 'WEAVE-NPC-EGRESS', 'WEAVE-NPC-EGRESS-ACCEPT', 'WEAVE-NPC-EGRESS-CUSTOM', 'WEAVE-NPC-EGRESS-DEFAULT', 'WEAVE-NPC-INGRESS')}
-A INPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 6784 -m addrtype ! --src-type LOCAL -m conntrack ! --ctstate RELATED,ESTABLISHED -m comment --comment "Block non-local access to Weave Net control port" -j DROP
-A INPUT -i fs -j WEAVE-NPC-EGRESS
-A FORWARD -i fs ${NOTE} -j WEAVE-NPC-EGRESS
-A FORWARD -o fs ${NOTE} -j WEAVE-NPC
-A FORWARD -o fs -m state --state NEW -j NFLOG --nflog-group 86
-A FORWARD -o fs -j DROP
-A FORWARD -i fs ! -o fs -j ACCEPT
-A FORWARD -o fs -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A WEAVE-NPC -m state --state RELATED,ESTABLISHED -j ACCEPT
-A WEAVE-NPC -d 224.0.0.0/4 -j ACCEPT
-A WEAVE-NPC -m physdev --physdev-out vethwe-bridge --physdev-is-bridged -j ACCEPT
-A WEAVE-NPC -m state --state NEW -j WEAVE-NPC-DEFAULT
-A WEAVE-NPC -m state --state NEW -j WEAVE-NPC-INGRESS
-A WEAVE-NPC-DEFAULT -m set --match-set weave-P.B|!ZhkAr5q=XZ?3}tMBA+0 dst -m comment --comment "DefaultAllow ingress isolation for namespace: kube-system" -j ACCEPT
-A WEAVE-NPC-DEFAULT -m set --match-set weave-Rzff}h:=]JaaJl/G;(XJpGjZ[ dst -m comment --comment "DefaultAllow ingress isolation for namespace: kube-public" -j ACCEPT
-A WEAVE-NPC-EGRESS -m state --state RELATED,ESTABLISHED -j ACCEPT
-A WEAVE-NPC-EGRESS -m physdev --physdev-in vethwe-bridge --physdev-is-bridged -j RETURN
-A WEAVE-NPC-EGRESS -m addrtype --dst-type LOCAL -j RETURN
-A WEAVE-NPC-EGRESS -d 224.0.0.0/4 -j RETURN
-A WEAVE-NPC-EGRESS -m state --state NEW -j WEAVE-NPC-EGRESS-DEFAULT
-A WEAVE-NPC-EGRESS -m state --state NEW ${NOT_ACCEPTED} -j WEAVE-NPC-EGRESS-CUSTOM
-A WEAVE-NPC-EGRESS -m state --state NEW ${NOT_ACCEPTED} -j NFLOG --nflog-group 86
-A WEAVE-NPC-EGRESS ${NOT_ACCEPTED} -j DROP
-A WEAVE-NPC-EGRESS-ACCEPT -j MARK --set-xmark 0x40000/0x40000
${egressDefault('weave-s_+ChJId4Uy_$}G;WdH|~TK)I', 'default').join('\n')}
-A WEAVE-NPC-INGRESS -p tcp -m set --match-set weave-4r+7yM#K8ed,0.~_{aCl|C]$t src -m set --match-set weave-v/q_G.;Ns!CGTy3Hm9L]%^|[ dst -m tcp --dport 8080 -m comment --comment "cidr: 10.1.0.0/24 -> pods: namespace: default, selector: app=web (ingress)" -j ACCEPT
COMMIT
`;
