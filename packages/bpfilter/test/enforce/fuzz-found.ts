/**
 * What the enforcement fuzz (enforce-fuzz.test.ts) found, each shrunk to a fixed case with
 * its seed: rulesets whose probes met the same fate in both twins only after a fix, and whose
 * counters (policies included) must equal the kernel's.
 */
import { ACCEPT_ALL, filter, ping, type Scenario, udp } from './scenario-parts.js';
import { C, F } from './topology.js';

export const FOUND: Scenario[] = [
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
    probes: [ping('C', F, 'reply'), udp('C', F, 53, `reply:${C}`), udp('C', F, 5353, `reply:${C}`)],
  },
];
