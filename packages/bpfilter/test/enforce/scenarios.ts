/**
 * The rulesets both twins run, each with the probes whose outcome must be the same in both
 * and what that outcome is (so a twin that filters nothing cannot pass by agreeing).
 */
import { ACCEPT_ALL, filter, ping, type Scenario, tcp, udp } from './scenario-parts.js';
import { C, F, F2, S } from './topology.js';

/**
 * For each ICMP error: ping's words for it, the errno a connecting TCP socket gets, and what a
 * connected UDP socket sees (Linux reports only the "fatal" codes to UDP without IP_RECVERR).
 */
const REJECTS: [withName: string, pingSays: string, tcpErrno: string, udpSees: string][] = [
  ['icmp-net-unreachable', 'Destination Net Unreachable', 'ENETUNREACH', 'timeout'],
  ['icmp-host-unreachable', 'Destination Host Unreachable', 'EHOSTUNREACH', 'timeout'],
  ['icmp-proto-unreachable', 'Destination Protocol Unreachable', 'ENOPROTOOPT', 'ENOPROTOOPT'],
  ['icmp-port-unreachable', 'Destination Port Unreachable', 'ECONNREFUSED', 'ECONNREFUSED'],
  ['icmp-net-prohibited', 'Destination Net Prohibited', 'ENETUNREACH', 'ENETUNREACH'],
  ['icmp-host-prohibited', 'Destination Host Prohibited', 'EHOSTUNREACH', 'EHOSTUNREACH'],
  ['icmp-admin-prohibited', 'Packet filtered', 'EHOSTUNREACH', 'EHOSTUNREACH'],
];

export const SCENARIOS: Scenario[] = [
  {
    name: 'ACCEPT and DROP in INPUT and FORWARD',
    rules: filter(
      ACCEPT_ALL,
      '-A INPUT -p tcp --dport 22 -j DROP',
      '-A INPUT -p udp --dport 53 -j DROP',
      '-A INPUT -p icmp -j DROP',
      '-A INPUT -p tcp --dport 80 -j ACCEPT',
      '-A FORWARD -d 10.2.0.2 -p tcp --dport 9000 -j DROP',
    ),
    probes: [
      tcp('C', F, 22, 'timeout'),
      tcp('C', F, 80, `connected:${C}`),
      udp('C', F, 53, 'timeout'),
      udp('C', F, 5353, `reply:${C}`),
      ping('C', F, 'timeout'),
      tcp('C', S, 9000, 'timeout'),
      tcp('C', S, 8080, `connected:${C}`),
      ping('C', S, 'reply'),
    ],
  },
  ...REJECTS.map(
    ([withName, pingSays, tcpErrno, udpSees]): Scenario => ({
      name: `REJECT --reject-with ${withName}`,
      rules: filter(
        ACCEPT_ALL,
        `-A INPUT -p icmp -j REJECT --reject-with ${withName}`,
        `-A INPUT -p udp --dport 53 -j REJECT --reject-with ${withName}`,
        `-A FORWARD -p tcp --dport 22 -j REJECT --reject-with ${withName}`,
      ),
      probes: [
        ping('C', F, pingSays),
        udp('C', F, 53, udpSees),
        udp('C', F, 5353, `reply:${C}`),
        tcp('C', S, 22, tcpErrno),
        tcp('C', S, 80, `connected:${C}`),
      ],
    }),
  ),
  {
    name: 'REJECT --reject-with tcp-reset',
    rules: filter(ACCEPT_ALL, '-A INPUT -p tcp --dport 22 -j REJECT --reject-with tcp-reset'),
    probes: [tcp('C', F, 22, 'ECONNREFUSED'), tcp('C', F, 80, `connected:${C}`)],
  },
  {
    name: 'jumps, returns and gotos through user chains',
    rules: filter(
      `${ACCEPT_ALL}\n:deep - [0:0]\n:udpchain - [0:0]\n:web - [0:0]`,
      '-A INPUT -p tcp -j web',
      '-A INPUT -p tcp --dport 8080 -j DROP',
      '-A INPUT -p udp -g udpchain',
      '-A INPUT -p udp -j DROP',
      '-A deep -p tcp --dport 9000 -j REJECT --reject-with tcp-reset',
      '-A deep -p tcp --dport 22 -j RETURN',
      '-A deep -p tcp -j ACCEPT',
      '-A udpchain -p udp --dport 53 -j DROP',
      '-A web -p tcp --dport 80 -j ACCEPT',
      '-A web -p tcp --dport 8080 -j RETURN',
      '-A web -p tcp --dport 22 -j deep',
      '-A web -p tcp --dport 22 -j DROP',
      '-A web -j deep',
    ),
    probes: [
      tcp('C', F, 80, `connected:${C}`),
      tcp('C', F, 8080, 'timeout'),
      tcp('C', F, 22, 'timeout'),
      tcp('C', F, 9000, 'ECONNREFUSED'),
      udp('C', F, 53, 'timeout'),
      // The goto'd chain falls off its end: back to INPUT's caller, i.e. the policy.
      udp('C', F, 5353, `reply:${C}`),
    ],
  },
  {
    name: 'interface and address matches',
    rules: filter(
      ACCEPT_ALL,
      '-A FORWARD -i fc -o fs -s 10.1.0.2 -d 10.2.0.2 -p tcp --dport 22 -j DROP',
      '-A FORWARD -i f+ ! -s 10.0.0.0/8 -j DROP',
      '-A INPUT -i fs -j DROP',
      '-A INPUT -d 10.2.0.1 -s 10.0.0.2/255.0.0.255 -p tcp --dport 80 -j REJECT --reject-with tcp-reset',
      '-A INPUT ! -i fc -p udp -j DROP',
      '-A OUTPUT -o fc -p udp --sport 5353 ! -d 10.1.0.2 -j DROP',
    ),
    probes: [
      tcp('C', S, 22, 'timeout'),
      tcp('C', S, 80, `connected:${C}`),
      tcp('S', F2, 80, 'timeout'),
      ping('S', F2, 'timeout'),
      tcp('C', F2, 80, 'ECONNREFUSED'),
      tcp('C', F, 80, `connected:${C}`),
      udp('C', F, 5353, `reply:${C}`),
    ],
  },
  {
    name: 'conntrack: replies of established connections pass, new ones do not',
    rules: filter(
      ':INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]',
      '-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT',
      '-A INPUT -p tcp -m state --state NEW -m tcp --dport 80 -j ACCEPT',
      '-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT',
      '-A FORWARD -i fc -m conntrack --ctstate NEW -j ACCEPT',
    ),
    probes: [
      tcp('F', C, 80, `connected:${F}`),
      udp('F', C, 53, `reply:${F}`),
      ping('F', C, 'reply'),
      tcp('C', F, 80, `connected:${C}`),
      tcp('C', F, 22, 'timeout'),
      ping('C', F, 'timeout'),
      tcp('C', S, 8080, `connected:${C}`),
      tcp('S', C, 8080, 'timeout'),
    ],
  },
];
