/**
 * The table the compile worker (src/enforce/compile-worker.ts) compiles while it has nothing
 * else to do right after it starts. V8 turns a function into fast machine code only after it
 * has run many times, so a service's first compiles of a large table ran interpreted code,
 * several times slower than the same compile later (and an administrator's first
 * `iptables-restore` after `bpfilter serve` waited for it). The rules take the paths real
 * tables take: exact keys that become verdict maps, interface and address-pair rules that become segments, prefixes
 * and port ranges that stay single rules, REJECT, a user chain entered by a jump and left by
 * RETURN. (Only what the netlink compiler covers: a table with any other statement goes to
 * `nft`, whose compile is another path.)
 */
import { type EncodedTable, encodeTable } from './encode.js';
import type { Rule, Table } from './types.js';

/**
 * The warm-up table's size and how many times the worker compiles it: enough that a first
 * compile of a 5,000-rule table runs about as fast as a fifth one would without warm-up
 * (measured in-process; the enforcement docs' Performance section has the figures).
 */
export const WARM_UP_RULES = 1000;
export const WARM_UP_COMPILES = 6;
/**
 * The size of the table the service's last warm-up rounds replace (src/sockopt/warm-up.ts).
 * V8 optimizes a function for what it has seen run: after rounds on the 1,000-rule table
 * alone, the first compiles of a 5,000-rule table still sent V8 back to its compiler (tens of
 * ms of its threads' CPU each, beside the handler's check) and the service's handling of it
 * too; after rounds on a table of this size, they ran as a tenth one does (the enforcement
 * docs' Apply section has the figures).
 */
export const WARM_UP_LARGE_RULES = 5000;

const TCP = 6;
const UDP = 17;

/** The `i`-th rule of INPUT. */
function rule(i: number): Rule {
  const host = `10.${(i >> 8) & 255}.${i & 255}.1`;
  const port = 1024 + (i % 50000);
  if (i % 97 === 0) return { target: { kind: 'jump', chain: 'warm-up-user' } };
  if (i % 5 === 0)
    return {
      inInterface: `eth${i % 4}`,
      protocol: UDP,
      matches: [{ kind: 'udp', destinationPorts: [port, port] }],
      target: { kind: 'verdict', verdict: 'DROP' },
    };
  if (i % 7 === 0)
    return {
      source: `${host}/32`,
      destination: `192.0.2.${i % 256}/32`,
      target: { kind: 'verdict', verdict: 'ACCEPT' },
    };
  if (i % 11 === 0)
    return {
      source: `10.${i & 255}.0.0/16`,
      protocol: TCP,
      matches: [{ kind: 'tcp', destinationPorts: [port, port + 10] }],
      target: { kind: 'reject', with: 'icmp-port-unreachable' },
    };
  return {
    source: `${host}/32`,
    protocol: TCP,
    matches: [{ kind: 'tcp', destinationPorts: [port, port] }],
    target: { kind: 'verdict', verdict: 'DROP' },
  };
}

/** A filter table of about `rules` rules, encoded as a SET_REPLACE carries it. */
export function warmUpTable(rules = WARM_UP_RULES): EncodedTable {
  const user: Rule[] = [
    { protocol: UDP, target: { kind: 'reject', with: 'icmp-host-unreachable' } },
    { protocol: TCP, target: { kind: 'verdict', verdict: 'RETURN' } },
  ];
  const table: Table = {
    name: 'filter',
    chains: [
      { name: 'INPUT', policy: 'ACCEPT', rules: Array.from({ length: rules }, (_, i) => rule(i)) },
      { name: 'FORWARD', policy: 'DROP', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
      { name: 'warm-up-user', rules: user },
    ],
  };
  return encodeTable(table);
}
