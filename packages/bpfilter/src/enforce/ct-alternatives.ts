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
import { IPT_ENTRY_SIZE, readU16 } from '../abi/index.js';
import { objectName, targetAt } from '../model/entry-index.js';
import { UntranslatableError } from './errors.js';
import { type CtStateTest, ctStateOf } from './raw-matches.js';

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
const STATEFUL = new Set(['limit', 'statistic']);

/** Refuses a rule that splits and holds a stateful match (`names`: its matches' names). */
export function refuseStatefulSplit(names: Iterable<string>): void {
  for (const name of names)
    if (STATEFUL.has(name))
      throw new UntranslatableError(
        `-m ${name}`,
        'beside --ctstate SNAT/DNAT (two nft rules would keep two states)',
      );
}

/**
 * How many nft rules the rule of the entry at `offset` becomes (1 for most), and whether
 * that split is exact (one conntrack test splits, no stateful match beside it); read in place.
 */
export function ruleSplit(b: Uint8Array, offset: number): { rules: number; exact: boolean } {
  const target = targetAt(b, offset);
  let rules = 1;
  let splits = 0;
  let stateful = false;
  for (let pos = offset + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos)) {
    const name = objectName(b, pos);
    stateful ||= STATEFUL.has(name);
    if (name !== 'conntrack') continue;
    const data = b.subarray(pos + 32, pos + Math.max(readU16(b, pos), 32));
    try {
      const test = ctStateOf({ kind: 'raw', name, revision: b[pos + 31]!, data });
      const count = test === undefined ? 1 : ctAlternatives(test).length;
      if (count > 1) splits++;
      rules = Math.max(rules, count);
    } catch (error) {
      // The translators refuse it, naming it, when they reach it.
      if (!(error instanceof UntranslatableError)) throw error;
    }
  }
  return { rules, exact: rules === 1 || (splits === 1 && !stateful) };
}
