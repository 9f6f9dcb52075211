/**
 * Rulesets whose runs of non-terminal rules enforcement turns into counted sets (one lookup,
 * an element counting each rule), with traffic that leaves the same counters in both twins
 * (no TCP teardown), so every counter can be compared with the kernel's.
 */
import { ACCEPT_ALL, filter, ping, type Scenario, udp } from './scenario-parts.js';
import { mangleTable } from './save-tables.js';
import { C, F, F2, S } from './topology.js';

const hosts = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `10.9.0.${from + i}`);

/**
 * Traffic accounting: a chain of `-s HOST` and `-d HOST` rules without a target, interleaved
 * per host as accounting scripts add them, jumped to from INPUT, FORWARD and OUTPUT. C and S
 * send (to F, and through F to each other); the other hosts send nothing.
 */
export const ACCOUNTING: Scenario = {
  name: 'an accounting chain (-s and -d per host, no target) in counted sets: same counters',
  rules: filter(
    `${ACCEPT_ALL}\n:ACCT - [0:0]`,
    '-A INPUT -j ACCT',
    '-A FORWARD -j ACCT',
    '-A OUTPUT -j ACCT',
    ...[...hosts(1, 4), C, ...hosts(5, 7), S, ...hosts(8, 9)].flatMap((h) => [
      `-A ACCT -s ${h}/32`,
      `-A ACCT -d ${h}/32`,
    ]),
    '-A INPUT -p udp -m udp --dport 53 -j REJECT --reject-with icmp-port-unreachable',
  ),
  probes: [
    ping('C', F, 'reply'),
    ping('C', S, 'reply'),
    ping('S', C, 'reply'),
    udp('C', F, 5353, `reply:${C}`),
    udp('C', F, 53, 'ECONNREFUSED'),
    ping('S', F2, 'reply'),
  ],
};

/**
 * Per-host marking in mangle: PREROUTING marks a list of hosts alike, C among them (a counted
 * set), and one host with a mask (a rule); INPUT marks each host its own, S among them (a
 * map of marks). Filter INPUT observes the marks: datagrams to port 53 marked 0x7 or 0x21
 * are dropped, to 5353 marked 0x31 (another host's) dropped, others answered; a list of hosts
 * logged alike (a counted set and one `log`) counts C's packets.
 */
export const MARKED: Scenario = {
  name: 'hosts marked alike and each their own (mangle), logged alike: same marks and counters',
  rules: `${filter(
    ACCEPT_ALL,
    ...[...hosts(1, 5), C, ...hosts(6, 8)].map(
      (h) => `-A INPUT -s ${h}/32 -j LOG --log-prefix "listed: " --log-level 6`,
    ),
    '-A INPUT -p udp -m udp --dport 53 -m mark --mark 0x7 -j DROP',
    '-A INPUT -p udp -m udp --dport 53 -m mark --mark 0x21 -j DROP',
    '-A INPUT -p udp -m udp --dport 5353 -m mark --mark 0x31 -j DROP',
  )}${mangleTable(
    ...[...hosts(1, 4), C, ...hosts(5, 8)].map(
      (h) => `-A PREROUTING -s ${h}/32 -j MARK --set-xmark 0x7/0xffffffff`,
    ),
    '-A PREROUTING -s 10.9.0.20/32 -j MARK --set-xmark 0x9/0xff',
    ...hosts(31, 34).map(
      (h, i) => `-A INPUT -s ${h}/32 -j MARK --set-xmark 0x${31 + i}/0xffffffff`,
    ),
    `-A INPUT -s ${S}/32 -j MARK --set-xmark 0x21/0xffffffff`,
    ...hosts(35, 38).map(
      (h, i) => `-A INPUT -s ${h}/32 -j MARK --set-xmark 0x${35 + i}/0xffffffff`,
    ),
  )}`,
  probes: [
    udp('C', F, 53, 'timeout'),
    udp('S', F2, 53, 'timeout'),
    udp('S', F2, 5353, `reply:${S}`),
    udp('C', F, 5353, `reply:${C}`),
    ping('C', F, 'reply'),
    ping('S', F2, 'reply'),
  ],
};
