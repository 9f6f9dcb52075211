/**
 * The command list both sides run (one namespace each, state accumulating): the kernel's
 * output is the expectation for bpfilter's. It covers what issue 6 names: -L -n -v, -S,
 * -A/-I/-D/-R with -s -d -i -o, -p tcp|udp|icmp, --sport/--dport, --tcp-flags, --icmp-type,
 * `!` inversions, -j ACCEPT|DROP|REJECT|LOG|RETURN, rules without -j (they only count),
 * -N/-E/-X with jumps, -P, -F, -Z, -t raw, some refusals (their messages come from the
 * errno the table answers), and save/restore.
 */
import type { Step } from './namespace.js';

const ipt = (...args: string[]): Step => ({ program: 'iptables', args });

/** Builds the rules up, lists them every way, edits them, then tears them down. */
export const BUILD_STEPS: Step[] = [
  ipt('-L', '-n'),
  ipt('-A', 'INPUT', '-s', '10.0.0.0/8', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
  ipt('-I', 'INPUT', '1', '-i', 'lo', '-j', 'ACCEPT'),
  ipt('-N', 'web'),
  ipt('-A', 'web', '-p', 'tcp', '-m', 'tcp', '--dport', '80', '-j', 'ACCEPT'),
  ipt('-A', 'web', '-j', 'RETURN'),
  ipt('-A', 'INPUT', '-i', 'eth0', '-j', 'web'),
  ipt('-A', 'FORWARD', '-p', 'udp', '!', '--sport', '53', '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'),
  ipt('-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'LOG', '--log-prefix', 'ping '),
  ipt('-A', 'OUTPUT', '!', '-o', 'lo', '-d', '192.0.2.0/24', '-p', 'tcp', '--tcp-flags', 'SYN,ACK', 'SYN', '-j', 'DROP'),
  ipt('-A', 'INPUT', '!', '-s', '192.168.0.0/16', '-p', 'udp', '--dport', '1000:2000', '-j', 'ACCEPT'),
  ipt('-A', 'INPUT', '-p', 'tcp', '!', '--sport', '1024:65535', '!', '--dport', '443', '-j', 'REJECT', '--reject-with', 'tcp-reset'),
  ipt('-A', 'INPUT', '-p', 'icmp', '!', '--icmp-type', '3/1', '-j', 'LOG', '--log-level', '4', '--log-prefix', 'icmp: '),
  ipt('-I', 'FORWARD', '-s', '198.51.100.7', '!', '-d', '203.0.113.0/25', '-i', 'eth1', '-o', 'eth2', '-j', 'ACCEPT'),
  ipt('-A', 'FORWARD', '!', '-p', 'tcp', '-j', 'RETURN'),
  // Rules without -j only count: libiptc sends a standard verdict naming the next entry.
  ipt('-A', 'INPUT', '-s', '1.2.3.4'),
  ipt('-A', 'OUTPUT', '-p', 'tcp', '--dport', '443'),
  ipt('-I', 'OUTPUT', '1', '-d', '9.9.9.9'),
  ipt('-A', 'web', '-d', '5.6.7.8'),
  ipt('-C', 'INPUT', '-s', '1.2.3.4'),
  ipt('-C', 'INPUT', '-s', '1.2.3.5'),
  ipt('-N', 'audit'),
  ipt('-A', 'audit', '-j', 'LOG'),
  ipt('-A', 'web', '-g', 'audit'),
  ipt('-C', 'INPUT', '-s', '10.0.0.0/8', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
  ipt('-C', 'INPUT', '-s', '10.0.0.0/8', '-p', 'tcp', '--dport', '23', '-j', 'DROP'),
  ipt('-L', '-n', '-v'),
  ipt('-L', '-n', '-v', '--line-numbers'),
  ipt('-L', '-n', '-v', '-x'),
  ipt('-L', 'INPUT', '2', '-n', '-v'),
  ipt('-S', 'INPUT', '1'),
  ipt('-S'),
  ipt('-S', 'INPUT'),
  ipt('-L', 'web', '-n'),
  ipt('-P', 'FORWARD', 'DROP'),
  ipt('-P', 'OUTPUT', 'DROP'),
  ipt('-P', 'OUTPUT', 'ACCEPT'),
  ipt('-Z'),
  ipt('-Z', 'INPUT', '1'),
  ipt('-D', 'INPUT', '2'),
  ipt('-D', 'INPUT', '-i', 'lo', '-j', 'ACCEPT'),
  ipt('-R', 'web', '1', '-p', 'tcp', '--dport', '8080', '-j', 'ACCEPT'),
  ipt('-D', 'OUTPUT', '-d', '9.9.9.9'),
  ipt('-R', 'FORWARD', '1', '-s', '198.51.100.7'),
  ipt('-E', 'web', 'webchain'),
  ipt('-F', 'audit'),
  ipt('-L', '-n', '-v'),
  // Refusals: the messages are libiptc's rendering of the errno bpfilter answered.
  ipt('-N', 'webchain'),
  ipt('-D', 'INPUT', '99'),
  ipt('-X', 'nosuchchain'),
  ipt('-X', 'audit'),
  ipt('-L', 'nosuchchain', '-n'),
  ipt('-t', 'raw', '-A', 'PREROUTING', '-d', '192.0.2.1', '-j', 'DROP'),
  ipt('-t', 'raw', '-I', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'ACCEPT'),
  ipt('-t', 'raw', '-L', '-n', '-v'),
  ipt('-t', 'raw', '-S'),
  ipt('-t', 'mangle', '-A', 'POSTROUTING', '-o', 'eth0', '-p', 'udp', '--sport', '123', '-j', 'ACCEPT'),
  ipt('-t', 'mangle', '-S'),
  // A table that does not exist: the message comes from the errno GET_INFO answers.
  ipt('-t', 'nosuchtable', '-L', '-n'),
  { program: 'save' },
  { program: 'save', args: ['-t', 'filter'] },
];

/** After BUILD_STEPS: flush and delete everything, then look again. */
export const TEARDOWN_STEPS: Step[] = [
  ipt('-F'),
  ipt('-X'),
  ipt('-t', 'raw', '-F'),
  ipt('-t', 'mangle', '-F'),
  ipt('-P', 'FORWARD', 'ACCEPT'),
  ipt('-L', '-n', '-v'),
  { program: 'save' },
];

/**
 * Counters: `iptables-legacy-restore -c` of a file with packet/byte counts (SET_REPLACE then
 * SET_ADD_COUNTERS), listed, saved with -c, then zeroed per chain and per rule.
 */
export function counterSteps(rulesFile: string): Step[] {
  return [
    { program: 'restore', args: ['-c'], stdinFile: rulesFile },
    ipt('-L', '-n', '-v'),
    { program: 'save', args: ['-c'] },
    ipt('-Z', 'web'),
    { program: 'save', args: ['-c'] },
    ipt('-Z', 'INPUT', '2'),
    ipt('-L', 'INPUT', '-n', '-v', '-x'),
    ipt('-A', 'INPUT', '-j', 'ACCEPT', '-c', '9', '900'),
    { program: 'save', args: ['-c'] },
  ];
}
