/**
 * `--ctstate` with SNAT/DNAT: xt_conntrack matches when the packet's state bit OR its
 * connection's SNAT/DNAT status bit is in the mask (net/netfilter/xt_conntrack.c). nft tests
 * one register at a time, and its `ct status` load matches no packet without a connection
 * (nft_ct_get_eval breaks), where xt reads no NAT bit for one. So such a test becomes two nft
 * rules that no packet matches both of, each one part of the OR:
 *
 * - `--ctstate S,NAT`: `ct state S` | `ct state != S, ct status NAT` (a connection exists).
 * - `! --ctstate S,NAT`: `ct state invalid/untracked not in S` (no connection) |
 *   `ct state != S, ct status != NAT` (a connection exists).
 *
 * What tells them apart (the state, whether a connection exists) no non-terminal target can
 * change in between: a nat target ends the walk, and CT --notrack turns a packet without a
 * connection into one without a connection. Each rule counts its own packets; the iptables
 * rule's counter is their sum. A rule with a stateful match (`-m limit`, `-m statistic`)
 * would split its state in two: refused.
 */
import { UntranslatableError } from './errors.js';
import type { CtStateTest } from './raw-matches.js';

/** A test of one conntrack register: `ct KEY & mask` is zero (`zero`) or not. */
export interface CtCheck {
  key: 'state' | 'status';
  mask: number;
  zero: boolean;
}

// nft's ct state bits of a packet without a connection: invalid, untracked.
const NO_CONNECTION = 1 | 64;

/** The checks of each nft rule `test` becomes: one list, or two that no packet matches both. */
export function ctAlternatives(test: CtStateTest): CtCheck[][] {
  const { mask, nat, invert } = test;
  const state = (zero: boolean): CtCheck[] => (mask ? [{ key: 'state', mask, zero }] : []);
  if (nat === 0) return [[{ key: 'state', mask, zero: invert }]];
  const status: CtCheck = { key: 'status', mask: nat, zero: invert };
  if (!invert) return mask ? [state(false), [...state(true), status]] : [[status]];
  const unconnected = NO_CONNECTION & ~mask;
  const connected = [...state(true), status];
  return unconnected
    ? [[{ key: 'state', mask: unconnected, zero: false }], connected]
    : [connected];
}

/** Matches whose state a split would share out between two rules. */
export const STATEFUL = new Set(['limit', 'statistic']);

/** Refuses a rule split in several that holds a stateful match (`names`: its matches' names). */
export function refuseStatefulSplit(names: Iterable<string>): void {
  for (const name of names)
    if (STATEFUL.has(name))
      throw new UntranslatableError(
        `-m ${name}`,
        'in a rule split into several nft rules (--ctstate SNAT/DNAT, TTL --ttl-inc/--ttl-dec, TPROXY): each would keep its own state',
      );
}
