/**
 * What the enforcement scenarios are made of: a ruleset as iptables-save text and probes,
 * each with the outcome both twins must observe.
 */
import type { Node } from './twins.js';

/** One probe: TCP connect, one UDP datagram, or one ICMP echo, from a namespace. */
export interface Probe {
  from: Node;
  kind: 'tcp' | 'udp' | 'ping';
  host: string;
  port?: number;
  /** The source port (tcp, udp), when the probe is aimed at rules that match one. */
  sport?: number;
  /** The outcome both twins must observe. */
  expect: string;
}

/** A ruleset for F and its probes. */
export interface Scenario {
  name: string;
  rules: string;
  probes: Probe[];
}

/** A filter table of `policies` (the chain lines) and `rules`, as iptables-save writes it. */
export const filter = (policies: string, ...rules: string[]) =>
  `*filter\n${policies}\n${rules.join('\n')}\nCOMMIT\n`;
/** The built-in chains of the filter table, all ACCEPT. */
export const ACCEPT_ALL = ':INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]';

/** Probes from `from` to `host` (`port`) whose outcome must be `expect`. */
export const tcp = (from: Node, host: string, port: number, expect: string): Probe => ({
  from,
  kind: 'tcp',
  host,
  port,
  expect,
});
export const udp = (from: Node, host: string, port: number, expect: string): Probe => ({
  from,
  kind: 'udp',
  host,
  port,
  expect,
});
export const ping = (from: Node, host: string, expect: string): Probe => ({
  from,
  kind: 'ping',
  host,
  expect,
});

/** The chain lines of user chains `names`. */
export const chains = (...names: string[]) => names.map((n) => `:${n} - [0:0]`).join('\n');
