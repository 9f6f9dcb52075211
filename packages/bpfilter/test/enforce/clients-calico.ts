/**
 * Calico's felix (3.27, iptables mode, legacy back end) on a node with one pod, written as
 * `iptables-save` prints what felix programs: cali-* chains, a `cali:<hash>` comment on every
 * rule, marks tested and set with masks (0x10000 accept, 0x20000 pass, 0x40000 from a
 * workload, cleared with --set-xmark 0x0/0xf0000), ipsets for pools and policy selectors, a
 * policy chain returning to the endpoint's chain, gotos from the dispatch chains, nat
 * outgoing, and the raw table's strict reverse-path check of workload traffic (-m rpfilter).
 * In the twins' topology the pod's veth is `fs` (felix names it caliXXXXXXXXXXX, matched as
 * `cali+`: here `fs+`), the pod is S, the host's uplink `fc`.
 */
import { chains } from './scenario-parts.js';

/** The hash:net ipsets felix keeps (name: members), created before its tables. */
export const CALICO_NETS: Record<string, string[]> = {
  'cali40all-ipam-pools': ['10.2.0.0/16'],
  'cali40masq-ipam-pools': ['10.2.0.0/16'],
  'cali40all-hosts-net': ['10.1.0.1/32'],
  // The policy's source selector: the clients allowed to reach the pod on 8080 (C's /24).
  'cali40s:LrVD8vMIGQihMIAa-0YBAMM': ['10.1.0.0/24'],
};

const POLICY = 'cali-pi-_PXmnbRuhcZa0Ul7Ia9B';
const TO_POD = 'cali-tw-fs';
const FROM_POD = 'cali-fw-fs';

export const CALICO = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains('cali-OUTPUT', 'cali-PREROUTING', 'cali-from-host-endpoint', 'cali-rpf-skip', 'cali-to-host-endpoint')}
-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING
-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
-A cali-OUTPUT -m comment --comment "cali:njdnLwYeGqBJyMxW" -j MARK --set-xmark 0x0/0xf0000
-A cali-OUTPUT -m comment --comment "cali:rz86uTUcEZAfFsh7" -j cali-to-host-endpoint
-A cali-OUTPUT -m comment --comment "cali:pN0F5zD0b8yf9W1Z" -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-PREROUTING -m comment --comment "cali:XFX5xbM8B9qR10JG" -j MARK --set-xmark 0x0/0xf0000
-A cali-PREROUTING -i fs+ -m comment --comment "cali:EWMPb0zVROM-woQp" -j MARK --set-xmark 0x40000/0x40000
-A cali-PREROUTING -m comment --comment "cali:PWuxTAIaFCtsg5Qa" -m mark --mark 0x40000/0x40000 -j cali-rpf-skip
-A cali-PREROUTING -m comment --comment "cali:fSSbGND7dgyemWU7" -m mark --mark 0x40000/0x40000 -m rpfilter --validmark --invert -j DROP
-A cali-PREROUTING -m comment --comment "cali:ImU0-4Rl2WoOI9Ou" -m mark --mark 0x0/0x40000 -j cali-from-host-endpoint
-A cali-PREROUTING -m comment --comment "cali:lV4V2MPoMBf0hl9T" -m mark --mark 0x10000/0x10000 -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${chains('cali-POSTROUTING', 'cali-PREROUTING', 'cali-from-host-endpoint', 'cali-to-host-endpoint')}
-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING
-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
-A cali-POSTROUTING -m comment --comment "cali:NX-7roTexQ3fGRfU" -m mark --mark 0x10000/0x10000 -j RETURN
-A cali-POSTROUTING -m comment --comment "cali:nnqPh8lh2VOogSzX" -j MARK --set-xmark 0x0/0xf0000
-A cali-POSTROUTING -m comment --comment "cali:nquN8Jw8Tz72pcBW" -m conntrack --ctstate DNAT -j cali-to-host-endpoint
-A cali-POSTROUTING -m comment --comment "cali:jWrgvDQ0xEZHmta3" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j RETURN
-A cali-PREROUTING -m comment --comment "cali:6BJqBjBC7crtA-7-" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A cali-PREROUTING -m comment --comment "cali:KX7AGNd6rMcDUai6" -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-PREROUTING -m comment --comment "cali:wNH7KsA3ILKJBsY9" -j cali-from-host-endpoint
-A cali-PREROUTING -m comment --comment "cali:Cg96MgVuoPm7UMRo" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
${chains('cali-OUTPUT', 'cali-POSTROUTING', 'cali-PREROUTING', 'cali-fip-dnat', 'cali-fip-snat', 'cali-nat-outgoing')}
-A PREROUTING -m comment --comment "cali:6gwbT8clXdHdC1b1" -j cali-PREROUTING
-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
-A POSTROUTING -m comment --comment "cali:O3lYWMrLQYEMJtB5" -j cali-POSTROUTING
-A cali-OUTPUT -m comment --comment "cali:GBTAv2p5CwevEyJm" -j cali-fip-dnat
-A cali-POSTROUTING -m comment --comment "cali:Z-c7XtVd2Bq7s_hA" -j cali-fip-snat
-A cali-POSTROUTING -m comment --comment "cali:nYKhEzDlr11Jccal" -j cali-nat-outgoing
-A cali-POSTROUTING -o tunl0 -m comment --comment "cali:SXWvdsbh4Mw7wOln" -m addrtype ! --src-type LOCAL --limit-iface-out -m addrtype --src-type LOCAL -j MASQUERADE --random-fully
-A cali-PREROUTING -m comment --comment "cali:r6XmIziWUJsdOK6Z" -j cali-fip-dnat
-A cali-nat-outgoing -m comment --comment "cali:flqWnvo8yq4ULQLa" -m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -j MASQUERADE --random-fully
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
${chains(
  'cali-FORWARD',
  'cali-INPUT',
  'cali-OUTPUT',
  'cali-cidr-block',
  'cali-from-hep-forward',
  'cali-from-host-endpoint',
  'cali-from-wl-dispatch',
  FROM_POD,
  POLICY,
  'cali-pri-kns.default',
  'cali-pri-ksa.default.default',
  'cali-pro-kns.default',
  'cali-pro-ksa.default.default',
  'cali-to-hep-forward',
  'cali-to-host-endpoint',
  'cali-to-wl-dispatch',
  TO_POD,
  'cali-wl-to-host',
)}
-A INPUT -m comment --comment "cali:Cz_u1IQiXIMmKD4c" -j cali-INPUT
-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD
-A FORWARD -m comment --comment "cali:S93hcgKJrXEqnTfs" -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
-A FORWARD -m comment --comment "cali:mp77cMpurHhyjLrM" -j MARK --set-xmark 0x10000/0x10000
-A OUTPUT -m comment --comment "cali:tVnHkvAo15HuiPy0" -j cali-OUTPUT
-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe0000
-A cali-FORWARD -m comment --comment "cali:A_sPAO0mcxbT9mOV" -m mark --mark 0x0/0x10000 -j cali-from-hep-forward
-A cali-FORWARD -i fs+ -m comment --comment "cali:8ZoYfO5HKXWbB3pk" -j cali-from-wl-dispatch
-A cali-FORWARD -o fs+ -m comment --comment "cali:jdEuaPBe14V2hutn" -j cali-to-wl-dispatch
-A cali-FORWARD -m comment --comment "cali:12bc6HljsMKsmfr-" -j cali-to-hep-forward
-A cali-FORWARD -m comment --comment "cali:NOSxoaGx8OIstr1z" -j cali-cidr-block
-A cali-INPUT -p ipencap -m comment --comment "cali:PajejrV4aFdkZojI" -m comment --comment "Allow IPIP packets from Calico hosts" -m set --match-set cali40all-hosts-net src -m addrtype --dst-type LOCAL -j ACCEPT
-A cali-INPUT -p ipencap -m comment --comment "cali:_wjq-Yrma8Ly1Svo" -m comment --comment "Drop IPIP packets from non-Calico hosts" -j DROP
-A cali-INPUT -m comment --comment "cali:ss8ZeFGbCE_pWvhc" -j MARK --set-xmark 0x0/0xf0000
-A cali-INPUT -i fs+ -m comment --comment "cali:5liXQl5S7tVYDwPH" -g cali-wl-to-host
-A cali-INPUT -m comment --comment "cali:ALLlY3pkPn9ilmsy" -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-INPUT -m comment --comment "cali:8mh6FOnROwJHZ4uX" -j MARK --set-xmark 0x0/0xf0000
-A cali-INPUT -m comment --comment "cali:ddg6oB2RMcXrubwm" -j cali-from-host-endpoint
-A cali-INPUT -m comment --comment "cali:cgkRR5sLGd7KzFg9" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-OUTPUT -m comment --comment "cali:Mq1_rAdXXH3YkrzW" -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-OUTPUT -o fs+ -m comment --comment "cali:69FkRTJDvD5Vu6Vl" -j RETURN
-A cali-OUTPUT -p ipencap -m comment --comment "cali:AnEsmO6bDZbQntWW" -m comment --comment "Allow IPIP packets to other Calico hosts" -m set --match-set cali40all-hosts-net dst -m addrtype --src-type LOCAL -j ACCEPT
-A cali-OUTPUT -m comment --comment "cali:9e9Uf3GU5tX--Lxy" -j MARK --set-xmark 0x0/0xf0000
-A cali-OUTPUT -m comment --comment "cali:OB2pzPrvQn6PC89t" -m conntrack ! --ctstate DNAT,SNAT -j cali-to-host-endpoint
-A cali-OUTPUT -m comment --comment "cali:tvSSMDBWrme3CUqM" -m comment --comment "Host endpoint policy accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT
-A cali-from-wl-dispatch -i fs -m comment --comment "cali:qJmlYhCk5TOMs-Lp" -g ${FROM_POD}
-A cali-from-wl-dispatch -m comment --comment "cali:ERcH1ZAmTiiw4ObG" -m comment --comment "Unknown interface" -j DROP
-A ${FROM_POD} -m comment --comment "cali:3uPNEmqOrB0FG7Xp" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ${FROM_POD} -m comment --comment "cali:QU0w0Y3vdGxWRqdE" -m conntrack --ctstate INVALID -j DROP
-A ${FROM_POD} -m comment --comment "cali:jfTbv3dWgYA1xYP7" -j MARK --set-xmark 0x0/0x10000
-A ${FROM_POD} -p udp -m comment --comment "cali:fBAotUWDAzw4-M_Z" -m comment --comment "Drop VXLAN encapped packets originating in workloads" -m multiport --dports 4789 -j DROP
-A ${FROM_POD} -p ipencap -m comment --comment "cali:PrTbvVLvKtR3D0KG" -m comment --comment "Drop IPinIP encapped packets originating in workloads" -j DROP
-A ${FROM_POD} -m comment --comment "cali:vDaigWkvAsrUnGlq" -j cali-pro-kns.default
-A ${FROM_POD} -m comment --comment "cali:dcqGzHR2Ti5Pwu09" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN
-A ${FROM_POD} -m comment --comment "cali:mSALdOAhxGzcWi2-" -j cali-pro-ksa.default.default
-A ${FROM_POD} -m comment --comment "cali:OkJJmqcBnMP_S-IK" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN
-A ${FROM_POD} -m comment --comment "cali:rEe2H2E8zuVn6d-m" -m comment --comment "Drop if no profiles matched" -j DROP
-A ${POLICY} -p tcp -m comment --comment "cali:Uq-Zy4jhv-cLyMVm" -m comment --comment "Policy default/knp.default.allow-clients ingress" -m set --match-set cali40s:LrVD8vMIGQihMIAa-0YBAMM src -m multiport --dports 8080 -j MARK --set-xmark 0x10000/0x10000
-A ${POLICY} -m comment --comment "cali:8_bDnbLo0ot3G8uK" -m mark --mark 0x10000/0x10000 -j RETURN
-A cali-pro-kns.default -m comment --comment "cali:-50oJuMfLVO3LkBk" -j MARK --set-xmark 0x10000/0x10000
-A cali-pro-kns.default -m comment --comment "cali:ztVPKv1UYejNzm1g" -m mark --mark 0x10000/0x10000 -j RETURN
-A cali-to-wl-dispatch -o fs -m comment --comment "cali:Twj4eSj7g8R7jY4X" -g ${TO_POD}
-A cali-to-wl-dispatch -m comment --comment "cali:7KNphB1nNHw80nIO" -m comment --comment "Unknown interface" -j DROP
-A ${TO_POD} -m comment --comment "cali:RSaakyrLwDe6t9zP" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A ${TO_POD} -m comment --comment "cali:ddJd2DDKrbHlQ2fR" -m conntrack --ctstate INVALID -j DROP
-A ${TO_POD} -m comment --comment "cali:HOJCMNbg2FK9ALwP" -j MARK --set-xmark 0x0/0x10000
-A ${TO_POD} -m comment --comment "cali:fpuyHmTBIGmb2Hdi" -m comment --comment "Start of policies" -j MARK --set-xmark 0x0/0x20000
-A ${TO_POD} -m comment --comment "cali:LGwTcw5OcBpprEi5" -m mark --mark 0x0/0x20000 -j ${POLICY}
-A ${TO_POD} -m comment --comment "cali:bKzlNyjHtqYLY4Px" -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN
-A ${TO_POD} -m comment --comment "cali:O-N2RRotWZ4uxZu8" -m comment --comment "Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP
-A ${TO_POD} -m comment --comment "cali:Iyk3ycAd4DT9fpsX" -j cali-pri-kns.default
-A ${TO_POD} -m comment --comment "cali:0qmHtHnr9n1LnvDh" -m comment --comment "Return if profile accepted" -m mark --mark 0x10000/0x10000 -j RETURN
-A ${TO_POD} -m comment --comment "cali:6r3nsExXrZJiSMcU" -m comment --comment "Drop if no profiles matched" -j DROP
-A cali-wl-to-host -m comment --comment "cali:Ee9Sbo10IpVujdIY" -j cali-from-wl-dispatch
-A cali-wl-to-host -m comment --comment "cali:nSZbcOoG1xPONxb8" -m comment --comment "Configured DefaultEndpointToHostAction" -j ACCEPT
COMMIT
`;
