/**
 * Steps for the migration tests: the nat and security tables by hand, then rulesets shaped
 * like those Docker, kube-proxy, ufw and fail2ban write, restored and edited as those tools
 * do, and a restore whose second table the kernel refuses.
 */
import { fileURLToPath } from 'node:url';
import type { Step } from './namespace.js';

const ipt = (...args: string[]): Step => ({ program: 'iptables', args });
const nat = (...args: string[]): Step => ipt('-t', 'nat', ...args);
/** A rules file of ./rulesets. */
export const rulesFile = (name: string): string =>
  fileURLToPath(new URL(`./rulesets/${name}.rules`, import.meta.url));
const restore = (name: string, ...args: string[]): Step => ({
  program: 'restore',
  args,
  stdinFile: rulesFile(name),
});
const save = (...args: string[]): Step => ({ program: 'save', args });

/** The DNAT rule dockerd adds, checks and deletes to publish a second port. */
const PUBLISHED_PORT =
  'DOCKER ! -i docker0 -p tcp --dport 8443 -j DNAT --to-destination 172.17.0.2:443';
/** The ban fail2ban checks for and lifts. */
const BANNED_HOST = 'f2b-sshd -s 203.0.113.7 -j REJECT --reject-with icmp-port-unreachable';

/** nat and security built by hand: every NAT target, listings, refusals, teardown. */
export const NAT_STEPS: Step[] = [
  nat('-S'),
  ipt('-t', 'security', '-S'),
  nat(
    '-A',
    'PREROUTING',
    '-i',
    'eth0',
    '-p',
    'tcp',
    '--dport',
    '80',
    '-j',
    'DNAT',
    '--to',
    '10.0.0.2:8080',
  ),
  nat(
    '-A',
    'PREROUTING',
    '-p',
    'udp',
    '-j',
    'DNAT',
    '--to-destination',
    '10.0.0.2-10.0.0.9:53-60',
    '--random',
  ),
  nat('-A', 'PREROUTING', '-p', 'tcp', '--dport', '3128', '-j', 'REDIRECT', '--to-ports', '8080'),
  nat('-A', 'PREROUTING', '-d', '192.0.2.0/24', '-j', 'NETMAP', '--to', '10.9.0.0/24'),
  nat('-A', 'INPUT', '-s', '10.0.0.0/8', '-j', 'SNAT', '--to-source', '10.0.0.1'),
  nat(
    '-A',
    'OUTPUT',
    '-p',
    'tcp',
    '-d',
    '198.51.100.1',
    '-j',
    'DNAT',
    '--to-destination',
    '127.0.0.1',
  ),
  nat('-A', 'POSTROUTING', '-o', 'eth0', '-j', 'MASQUERADE'),
  nat(
    '-A',
    'POSTROUTING',
    '-o',
    'eth1',
    '-p',
    'tcp',
    '-j',
    'MASQUERADE',
    '--to-ports',
    '1024-2048',
    '--random-fully',
  ),
  nat(
    '-A',
    'POSTROUTING',
    '-s',
    '10.1.0.0/16',
    '-j',
    'SNAT',
    '--to-source',
    '203.0.113.1-203.0.113.4',
    '--persistent',
  ),
  nat('-N', 'SVC'),
  nat(
    '-A',
    'SVC',
    '-m',
    'statistic',
    '--mode',
    'random',
    '--probability',
    '0.5',
    '-j',
    'DNAT',
    '--to-destination',
    '10.0.0.3',
  ),
  nat('-A', 'SVC', '-j', 'DNAT', '--to-destination', '10.0.0.4'),
  nat('-I', 'PREROUTING', '1', '-d', '10.96.0.1', '-p', 'tcp', '--dport', '443', '-j', 'SVC'),
  nat('-A', 'PREROUTING', '-j', 'RETURN'),
  nat('-L', '-n', '-v'),
  nat('-L', '-n', '--line-numbers'),
  nat('-S'),
  nat('-C', 'POSTROUTING', '-o', 'eth0', '-j', 'MASQUERADE'),
  nat('-C', 'POSTROUTING', '-o', 'eth9', '-j', 'MASQUERADE'),
  // Refused by the kernel (hooks) or by iptables (DROP in nat), each with its own message.
  nat('-A', 'POSTROUTING', '-j', 'DNAT', '--to-destination', '10.0.0.5'),
  nat('-A', 'PREROUTING', '-j', 'SNAT', '--to-source', '10.0.0.5'),
  nat('-A', 'PREROUTING', '-j', 'MASQUERADE'),
  nat('-A', 'OUTPUT', '-j', 'NETMAP', '--to', '10.0.0.0/8'),
  nat('-A', 'INPUT', '-p', 'tcp', '-j', 'REDIRECT'),
  nat('-A', 'POSTROUTING', '-j', 'SVC'),
  nat('-A', 'PREROUTING', '-j', 'DROP'),
  nat('-P', 'PREROUTING', 'DROP'),
  ipt('-A', 'INPUT', '-j', 'DNAT', '--to-destination', '10.0.0.5'),
  ipt('-t', 'mangle', '-A', 'POSTROUTING', '-j', 'MASQUERADE'),
  ipt(
    '-t',
    'security',
    '-A',
    'INPUT',
    '-m',
    'conntrack',
    '--ctstate',
    'NEW',
    '-j',
    'CONNSECMARK',
    '--save',
  ),
  ipt('-t', 'security', '-A', 'OUTPUT', '-j', 'CONNSECMARK', '--restore'),
  ipt('-t', 'security', '-A', 'FORWARD', '-p', 'tcp', '-j', 'ACCEPT'),
  ipt('-t', 'security', '-A', 'INPUT', '-j', 'REJECT'),
  ipt('-t', 'security', '-P', 'FORWARD', 'DROP'),
  ipt('-t', 'security', '-L', '-n', '-v'),
  save(),
  nat('-D', 'SVC', '2'),
  nat('-R', 'PREROUTING', '2', '-p', 'tcp', '--dport', '81', '-j', 'DNAT', '--to', '10.0.0.2:8081'),
  nat('-E', 'SVC', 'KUBE-SVC'),
  nat('-Z'),
  nat('-S'),
  nat('-F'),
  nat('-X'),
  ipt('-t', 'security', '-F'),
  ipt('-t', 'security', '-P', 'FORWARD', 'ACCEPT'),
  save(),
];

/** Each ruleset restored, listed and edited as its tool does. */
export const RULESET_STEPS: Step[] = [
  restore('docker'),
  save(),
  nat('-L', '-n', '-v'),
  ipt('-t', 'raw', '-S'),
  // Publishing a second port, then removing it, as dockerd does.
  nat('-A', ...PUBLISHED_PORT.split(' ')),
  ipt(
    '-A',
    'DOCKER',
    '-d',
    '172.17.0.2/32',
    '!',
    '-i',
    'docker0',
    '-o',
    'docker0',
    '-p',
    'tcp',
    '--dport',
    '443',
    '-j',
    'ACCEPT',
  ),
  nat('-C', ...PUBLISHED_PORT.split(' ')),
  nat('-D', ...PUBLISHED_PORT.split(' ')),
  restore('kube-proxy'),
  save(),
  // kube-proxy's partial sync: --noflush with the chains it changes.
  { program: 'restore', args: ['--noflush'], stdinFile: rulesFile('kube-proxy') },
  nat('-S', 'KUBE-SVC-NPX46M4PTMTKRN6Y'),
  ipt('-t', 'mangle', '-L', '-n'),
  restore('ufw'),
  ipt('-L', '-n', '-v'),
  ipt('-S'),
  ipt('-D', 'ufw-user-input', '-p', 'tcp', '-m', 'multiport', '--dports', '80,443', '-j', 'ACCEPT'),
  ipt('-A', 'ufw-user-input', '-p', 'udp', '--dport', '51820', '-j', 'ACCEPT'),
  restore('fail2ban'),
  ipt(
    '-I',
    'f2b-sshd',
    '1',
    '-s',
    '192.0.2.9',
    '-j',
    'REJECT',
    '--reject-with',
    'icmp-port-unreachable',
  ),
  ipt('-C', ...BANNED_HOST.split(' ')),
  ipt('-D', ...BANNED_HOST.split(' ')),
  // fail2ban's ipset actions: no set of that name exists (the kernel's answer).
  ipt(
    '-I',
    'INPUT',
    '-p',
    'tcp',
    '-m',
    'multiport',
    '--dports',
    '22',
    '-m',
    'set',
    '--match-set',
    'f2b-sshd',
    'src',
    '-j',
    'REJECT',
  ),
  ipt('-L', 'f2b-sshd', '-n', '--line-numbers'),
  save(),
];

/** A restore whose nat section the kernel refuses: what stays installed is the kernel's. */
export const HALF_BAD_STEPS: Step[] = [
  restore('half-bad'),
  save(),
  { program: 'restore', args: ['--noflush'], stdinFile: rulesFile('half-bad') },
  save(),
  { program: 'restore', args: ['--test'], stdinFile: rulesFile('half-bad') },
];
