/**
 * Rulesets whose traffic leaves the same counters in both twins (no TCP teardown, whose ACKs
 * depend on timing), so every counter can be compared with the kernel's: plain rules, nat,
 * and the rules enforcement groups into verdict maps or segments.
 */
import { ACCEPT_ALL, filter, ping, type Scenario, tcp, udp } from './scenario-parts.js';
import { C, F, F2, S } from './topology.js';

/**
 * Traffic whose every packet is the same in both twins (no TCP teardown, whose ACKs depend
 * on timing), for comparing every counter, policies included, with the kernel's.
 */
export const COUNTED: Scenario = {
  name: 'counters',
  rules: filter(
    `${ACCEPT_ALL}\n:icmpin - [0:0]`,
    '-A INPUT -p icmp -j icmpin',
    '-A INPUT -p udp --dport 53 -j REJECT',
    '-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset',
    '-A INPUT -p tcp --dport 9000 -j DROP',
    '-A INPUT -s 10.1.0.2',
    '-A OUTPUT -p icmp',
    '-A FORWARD -p icmp -j ACCEPT',
    '-A icmpin -p icmp --icmp-type echo-request -j ACCEPT',
  ),
  probes: [
    ping('C', F, 'reply'),
    ping('C', F, 'reply'),
    ping('C', S, 'reply'),
    udp('C', F, 53, 'ECONNREFUSED'),
    udp('C', F, 5353, `reply:${C}`),
    udp('C', F, 5353, `reply:${C}`),
    tcp('C', F, 22, 'ECONNREFUSED'),
    tcp('C', F, 9000, 'timeout'),
  ],
};

/**
 * Translations: DNAT to another host and port, REDIRECT to another local port, MASQUERADE
 * and SNAT on the way out. Every peer answers with the address it saw, so a probe's outcome
 * shows the translation; only the first packet of each connection walks the nat table, so
 * its counters are the same in both twins.
 */
export const NAT: Scenario = {
  name: 'nat: DNAT to another port, REDIRECT, MASQUERADE and SNAT (the peer sees the translated address)',
  rules: `${filter(ACCEPT_ALL)}*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i fc -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.2.0.2:8080
-A PREROUTING -i fc -p tcp -m tcp --dport 7001 -j REDIRECT --to-ports 80
-A PREROUTING -i fc -p udp -m udp --dport 7053 -j DNAT --to-destination 10.2.0.2:53
-A POSTROUTING -o fs -p tcp -m tcp --dport 8080 -j MASQUERADE
-A POSTROUTING -o fs -p udp -j SNAT --to-source 10.2.0.1
COMMIT
`,
  probes: [
    tcp('C', F, 7000, `connected:${F2}`),
    tcp('C', S, 8080, `connected:${F2}`),
    tcp('C', S, 80, `connected:${C}`),
    tcp('C', F, 7001, `connected:${C}`),
    udp('C', F, 7053, `reply:${F2}`),
    udp('C', S, 5353, `reply:${F2}`),
    tcp('C', F, 7002, 'ECONNREFUSED'),
  ],
};

const hosts = (from: number, to: number, line: (address: string) => string) =>
  Array.from({ length: to - from + 1 }, (_, i) => line(`10.9.0.${from + i}`));

/**
 * Runs of exact-key rules, which enforcement turns into verdict maps (one counting element
 * per rule): members moved past a rule of another protocol, a member that jumps to a chain
 * that returns, the same key again right after it (reached after the return), a rule that
 * stops the group, and a map of address pairs in FORWARD (policy DROP). Traffic as in
 * {@link COUNTED}, so every counter can be compared with the kernel's.
 */
export const GROUPED: Scenario = {
  name: 'rules grouped into verdict maps: same verdicts and counters',
  rules: filter(
    ':INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:web - [0:0]',
    ...hosts(1, 5, (a) => `-A INPUT -s ${a}/32 -p udp -m udp --dport 53 -j DROP`),
    '-A INPUT -p tcp -m tcp --dport 9000 -j DROP',
    ...hosts(6, 8, (a) => `-A INPUT -s ${a}/32 -p udp -m udp --dport 53 -j DROP`),
    `-A INPUT -s ${C}/32 -p udp -m udp --dport 53 -j DROP`,
    `-A INPUT -s ${C}/32 -p udp -m udp --dport 5353 -j web`,
    `-A INPUT -s ${C}/32 -p udp -m udp --dport 5353 -j ACCEPT`,
    '-A INPUT -p udp -m udp --dport 5353 -j DROP',
    '-A INPUT -s 10.9.0.9/32 -p udp -m udp --dport 53 -j DROP',
    ...hosts(3, 9, (a) => `-A FORWARD -s ${a}/32 -d ${S}/32 -j ACCEPT`),
    `-A FORWARD -s ${C}/32 -d ${S}/32 -j ACCEPT`,
    `-A FORWARD -s ${S}/32 -d ${C}/32 -j ACCEPT`,
    '-A web -p udp -m udp --dport 5353 -j RETURN',
    '-A web -j ACCEPT',
  ),
  probes: [
    udp('C', F, 53, 'timeout'),
    udp('C', F, 5353, `reply:${C}`),
    tcp('C', F, 9000, 'timeout'),
    ping('C', F, 'reply'),
    ping('C', S, 'reply'),
    udp('C', S, 53, `reply:${C}`),
    ping('S', C, 'reply'),
  ],
};

/**
 * Exact-key rules of two shapes that may match the same packet (a source and port, a source
 * and destination), interleaved: no map can hold them, so enforcement puts them in a segment
 * (a chain of their own that a packet enters only if a key-set lookup finds one of its keys).
 * The first of two rules matching a datagram decides, as in the kernel's walk; packets of no
 * key pass the segment by. Traffic as in {@link COUNTED}, so every counter can be compared.
 */
export const SEGMENTED: Scenario = {
  name: 'rules in a segment behind key-set lookups: same verdicts and counters',
  rules: filter(
    ACCEPT_ALL,
    ...hosts(
      1,
      4,
      (a) =>
        `-A INPUT -s ${a}/32 -p udp -m udp --dport 53 -j DROP\n-A INPUT -s ${a}/32 -d ${F}/32 -j ACCEPT`,
    ),
    `-A INPUT -s ${C}/32 -p udp -m udp --dport 53 -j DROP`,
    `-A INPUT -s ${C}/32 -d ${F}/32 -j ACCEPT`,
    `-A INPUT -s ${C}/32 -p udp -m udp --dport 5353 -j DROP`,
  ),
  probes: [
    udp('C', F, 53, 'timeout'),
    udp('C', F, 5353, `reply:${C}`),
    ping('C', F, 'reply'),
    ping('S', F2, 'reply'),
  ],
};

const nets = (from: number, to: number, line: (net: string) => string) =>
  Array.from({ length: to - from + 1 }, (_, i) => line(`10.9.${from + i}.0/24`));

/**
 * A blocklist of source prefixes, which enforcement turns into interval maps: disjoint and
 * adjacent prefixes, C's /31 jumping to a chain that returns port 50-60 datagrams, a prefix
 * moved past a rule of another shape it is disjoint from, and a prefix overlapping C's that
 * closes the first map and opens the second. Traffic as in {@link COUNTED}.
 */
export const BLOCKLIST: Scenario = {
  name: 'a blocklist of prefixes in interval maps: same verdicts and counters',
  rules: filter(
    `${ACCEPT_ALL}\n:web - [0:0]`,
    ...nets(0, 5, (net) => `-A INPUT -s ${net} -j DROP`),
    `-A INPUT -s ${C}/31 -j web`,
    '-A INPUT -s 10.1.0.128/25 -j DROP',
    '-A INPUT -s 10.1.0.0/24 -p udp -m udp --dport 53 -j DROP',
    ...nets(6, 6, (net) => `-A INPUT -s ${net} -j DROP`),
    '-A INPUT -s 10.1.0.0/16 -j ACCEPT',
    ...nets(7, 13, (net) => `-A INPUT -s ${net} -j DROP`),
    '-A web -p udp -m udp --dport 50:60 -j RETURN',
    '-A web -j ACCEPT',
  ),
  probes: [
    udp('C', F, 53, 'timeout'),
    udp('C', F, 54, 'ECONNREFUSED'),
    udp('C', F, 5353, `reply:${C}`),
    ping('C', F, 'reply'),
    ping('S', C, 'reply'),
  ],
};

/**
 * fail2ban's bans: a REJECT per banned source, in a verdict map whose elements go to a chain
 * that rejects (one per ICMP type). C is banned among others (its datagrams and echo are
 * rejected with port-unreachable, the ban counting each); a tcp-reset ban stays a rule, moved
 * past by the map (another source), and an unbanned peer's traffic passes.
 */
export const REJECTED: Scenario = {
  name: "a chain of REJECT bans (fail2ban's) in a verdict map: same rejections and counters",
  rules: filter(
    ACCEPT_ALL,
    ...hosts(1, 4, (a) => `-A INPUT -s ${a}/32 -j REJECT --reject-with icmp-host-prohibited`),
    `-A INPUT -s ${C}/32 -j REJECT --reject-with icmp-port-unreachable`,
    '-A INPUT -s 10.9.9.9/32 -p tcp -j REJECT --reject-with tcp-reset',
    ...hosts(5, 8, (a) => `-A INPUT -s ${a}/32 -j REJECT --reject-with icmp-port-unreachable`),
  ),
  probes: [
    udp('C', F, 53, 'ECONNREFUSED'),
    ping('C', F, 'Destination Port Unreachable'),
    tcp('C', F, 80, 'ECONNREFUSED'),
    ping('S', F2, 'reply'),
  ],
};

const SERVICES = Array.from({ length: 80 }, (_, i) => `SEP-${i}`);

/**
 * Many user chains (kube-proxy's per-endpoint chains), each jumped to in turn: every chain's
 * counters land on its own rules.
 */
export const MANY_CHAINS: Scenario = {
  name: 'counters of a table of 80 user chains, each jumped to in turn',
  rules: filter(
    [ACCEPT_ALL, ...SERVICES.map((chain) => `:${chain} - [0:0]`)].join('\n'),
    ...SERVICES.map((chain) => `-A INPUT -j ${chain}`),
    ...SERVICES.flatMap((chain, i) => [
      `-A ${chain} -s ${C}/32 -p udp -m udp --dport ${6000 + i} -j DROP`,
      `-A ${chain} -p icmp`,
    ]),
  ),
  probes: [
    ping('C', F, 'reply'),
    udp('C', F, 6005, 'timeout'),
    udp('C', F, 6079, 'timeout'),
    udp('C', F, 5353, `reply:${C}`),
  ],
};
