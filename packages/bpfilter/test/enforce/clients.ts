/**
 * What real iptables clients install, written out by hand as iptables-save text from their
 * rule files and generated chains (ufw 0.36 with logging on, Docker 26 with one published
 * port, fail2ban's iptables-multiport action, kube-proxy's iptables mode with one service of
 * two endpoints, libvirt's default NAT network, a router/VPN script), placed in the twins'
 * topology: F is the host or router, `fc` its interface towards C (the outside world), `fs`
 * towards S (the bridge of containers or guests, the LAN). Each comes with probes whose
 * outcome legacy and enforcement must agree on.
 */
import { DOCKER, KUBE_PROXY, LIBVIRT, ROUTER } from './clients-forwarding.js';
import { FAIL2BAN, UFW, UFW_LIMIT_RULES } from './clients-host.js';
import type { Scenario } from './scenario-parts.js';
import { C, F, S } from './topology.js';

/** The client rule sets and the flows both twins must agree on. */
export const CLIENTS: Scenario[] = [
  {
    name: 'ufw (logging on): allowed ports, the default deny, echo',
    rules: UFW,
    probes: [
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: `connected:${C}` },
      { from: 'C', kind: 'tcp', host: F, port: 8080, expect: `connected:${C}` },
      { from: 'C', kind: 'tcp', host: F, port: 9000, expect: 'timeout' },
      { from: 'C', kind: 'udp', host: F, port: 53, expect: 'timeout' },
      { from: 'C', kind: 'ping', host: F, expect: 'reply' },
    ],
  },
  {
    name: 'ufw with `ufw limit 22/tcp`: the 6th new connection in the window rejected, as ufw means',
    rules: UFW.replace(
      '-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT',
      [
        ...UFW_LIMIT_RULES,
        '-A ufw-user-input -p tcp -m tcp --dport 22 -j ufw-user-limit-accept',
      ].join('\n'),
    ),
    probes: [
      ...Array.from({ length: 5 }, () => ({
        from: 'C' as const,
        kind: 'tcp' as const,
        host: F,
        port: 22,
        expect: `connected:${C}`,
      })),
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'ECONNREFUSED' },
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'ECONNREFUSED' },
      { from: 'C', kind: 'tcp', host: F, port: 80, expect: `connected:${C}` },
    ],
  },
  {
    name: 'Docker: a published port, the bridge isolated, the container masqueraded',
    rules: DOCKER,
    probes: [
      { from: 'C', kind: 'tcp', host: F, port: 7080, expect: `connected:${C}` },
      { from: 'C', kind: 'tcp', host: S, port: 80, expect: 'timeout' },
      { from: 'S', kind: 'tcp', host: C, port: 22, expect: `connected:${F}` },
    ],
  },
  {
    name: 'fail2ban: a banned address rejected on the jail ports only',
    rules: FAIL2BAN,
    probes: [
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'ECONNREFUSED' },
      { from: 'C', kind: 'tcp', host: F, port: 80, expect: `connected:${C}` },
    ],
  },
  {
    name: 'kube-proxy: a cluster IP load-balanced by statistic, client affinity by recent, marked and masqueraded',
    rules: KUBE_PROXY,
    probes: [
      { from: 'C', kind: 'tcp', host: '10.96.0.10', port: 80, expect: 'connected:10.2.0.1' },
      { from: 'C', kind: 'tcp', host: '10.96.0.10', port: 80, expect: 'connected:10.2.0.1' },
      { from: 'C', kind: 'tcp', host: S, port: 22, expect: `connected:${C}` },
    ],
  },
  {
    name: "libvirt: the guests' network masqueraded, new connections to it rejected",
    rules: LIBVIRT,
    probes: [
      { from: 'S', kind: 'tcp', host: C, port: 80, expect: `connected:${F}` },
      { from: 'C', kind: 'tcp', host: S, port: 80, expect: 'ECONNREFUSED' },
    ],
  },
  {
    name: 'router/VPN: MSS clamping, connmark, DSCP, limit, mac, ttl, length, owner',
    rules: ROUTER,
    probes: [
      { from: 'S', kind: 'tcp', host: C, port: 80, expect: `connected:${F}` },
      { from: 'C', kind: 'tcp', host: S, port: 80, expect: 'timeout' },
      { from: 'C', kind: 'tcp', host: F, port: 22, expect: 'timeout' },
      { from: 'S', kind: 'tcp', host: '10.2.0.1', port: 22, expect: 'connected:10.2.0.2' },
      { from: 'C', kind: 'ping', host: F, expect: 'reply' },
    ],
  },
];
