/**
 * What the enforcement fuzz (enforce-fuzz.test.ts) found, each shrunk to a fixed case with
 * its seed: rulesets whose probes met the same fate in both twins only after a fix, and whose
 * counters (policies included) must equal the kernel's.
 */
import { natTable } from './save-tables.js';
import { ACCEPT_ALL, filter, ping, type Scenario, tcp, udp } from './scenario-parts.js';
import { C, F, S } from './topology.js';

/** A found case; `counted`: the line of `iptables-save -c` that must have counted packets. */
export type Found = Scenario & { counted: RegExp };

export const FOUND: Found[] = [
  {
    // Seed -1939652031: the kernel counts a packet in the policy when it falls off the end of
    // a chain a built-in chain went to (-g), or RETURNs there or in the built-in chain itself.
    name: 'a goto from a built-in chain, and RETURN at its level, count in the policy',
    rules: filter(
      `${ACCEPT_ALL}\n:u0 - [0:0]`,
      '-A INPUT -p icmp -g u0',
      '-A INPUT -p udp -m udp --dport 53 -j RETURN',
      '-A INPUT -p udp -g u0',
      '-A OUTPUT -p udp -g u0',
      '-A u0 -p udp -m udp --sport 5353 -j RETURN',
      '-A u0 -j LOG --log-prefix "u0: "',
    ),
    counted: /^:(INPUT|OUTPUT) ACCEPT \[[1-9]/m,
    probes: [ping('C', F, 'reply'), udp('C', F, 53, `reply:${C}`), udp('C', F, 5353, `reply:${C}`)],
  },
  {
    // Seed 1 (session 19): two --ctstate tests with SNAT/DNAT in one rule were refused (each
    // is two nft rules); their alternatives multiply, four rules that no packet matches two of.
    name: 'two --ctstate tests with SNAT/DNAT in one rule',
    rules:
      natTable(
        '-A PREROUTING -i fc -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.2.0.2:8080',
      ) +
      filter(
        ':INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]',
        '-A FORWARD -m conntrack --ctstate NEW,SNAT -m conntrack --ctstate ESTABLISHED,DNAT -j ACCEPT',
        '-A FORWARD -p tcp -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      ),
    counted: /^\[1:\d+\] -A FORWARD -m conntrack --ctstate NEW,SNAT/m,
    probes: [tcp('C', F, 7000, `connected:${C}`), tcp('C', S, 8080, 'timeout')],
  },
];
