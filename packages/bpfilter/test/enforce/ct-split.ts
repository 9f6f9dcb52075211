/**
 * `--ctstate` with DNAT, as kube-proxy's localnet rule has it: one iptables rule that
 * enforcement writes as two nft rules (src/enforce/ct-alternatives.ts). Inverted and not, as
 * a verdict, a counting rule and a jump to a chain that returns (the packet then meets the
 * second nft rule too, which must not match it again). Only SYNs and NEW packets are counted
 * by rules, so every rule counter is settled when a probe has its answer.
 */
import { ACCEPT_ALL, filter, ping, type Scenario, tcp } from './scenario-parts.js';
import { C, F } from './topology.js';

const SYN = '-p tcp -m tcp --tcp-flags SYN,ACK,FIN,RST SYN';

export const CT_SPLIT: Scenario = {
  name: '--ctstate DNAT (two nft rules for one iptables rule): same verdicts and rule counters',
  rules: `${filter(
    `${ACCEPT_ALL}\n:syn - [0:0]`,
    `-A INPUT ${SYN} -m conntrack --ctstate INVALID,DNAT`,
    `-A INPUT ${SYN} -m conntrack --ctstate NEW,DNAT -j syn`,
    '-A INPUT -i fc -p tcp -m tcp --dport 8080 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A syn -p tcp',
  )}*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i fc -p tcp -m tcp --dport 7001 -j DNAT --to-destination ${F}:8080
COMMIT
`,
  probes: [
    // DNATed to 8080: NEW with DNAT status, past the DROP.
    tcp('C', F, 7001, `connected:${C}`),
    // Straight to 8080: NEW without DNAT, dropped.
    tcp('C', F, 8080, 'timeout'),
    tcp('C', F, 22, `connected:${C}`),
    ping('C', F, 'reply'),
  ],
};
