/**
 * How many nft rules an iptables rule becomes, read from its entry in place: one, or several
 * that no packet matches two of for `--ctstate` tests with SNAT/DNAT (ct-alternatives.ts) or a
 * `-j TTL --ttl-inc/--ttl-dec` (ttl-steps.ts), or two a packet meets in turn for a `-j TPROXY`
 * (the second drops what no socket took). The layout counts the entry on all of them.
 */
import { IPT_ENTRY_SIZE, readU16 } from '../abi/index.js';
import { objectData, objectName, targetAt } from '../model/entry-index.js';
import { ctAlternatives, STATEFUL } from './ct-alternatives.js';
import { UntranslatableError } from './errors.js';
import { ctStateOf } from './raw-matches.js';
import { ttlSteps } from './ttl-steps.js';
import { tproxyOf } from './xt-steering.js';

/** The count `read` gives; 1 when the translators will refuse what it reads. */
function splitCount(read: () => number): number {
  try {
    return read();
  } catch (error) {
    // The translators refuse it, naming it, when they reach it.
    if (!(error instanceof UntranslatableError)) throw error;
    return 1;
  }
}

/**
 * How many nft rules conntrack match at `pos` takes (ct-alternatives.ts): 2 for a
 * `--ctstate` with SNAT/DNAT, else 1. The alternatives of several such matches in one rule
 * multiply (each pair of one of each is a rule; no packet matches two of them).
 */
export function ctSplit(b: Uint8Array, pos: number): number {
  const name = objectName(b, pos);
  if (name !== 'conntrack') return 1;
  return splitCount(() => {
    const test = ctStateOf({ kind: 'raw', name, revision: b[pos + 31]!, data: objectData(b, pos) });
    return test === undefined ? 1 : ctAlternatives(test).length;
  });
}

/**
 * How many nft rules the rule of the entry at `offset` becomes (1 for most), and whether the
 * split is exact: one kind of thing splits it (conntrack tests, TTL or TPROXY), and no
 * stateful match is beside it.
 */
export function ruleSplit(b: Uint8Array, offset: number): { rules: number; exact: boolean } {
  const target = targetAt(b, offset);
  let ct = 1;
  let stateful = false;
  for (let pos = offset + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos)) {
    stateful ||= STATEFUL.has(objectName(b, pos));
    ct *= ctSplit(b, pos);
  }
  let steps = 1;
  const targetName = objectName(b, target);
  if (targetName === 'TTL')
    steps = splitCount(() => ttlSteps(objectData(b, target), b[target + 31]!)?.length ?? 1);
  // The rule that sends to the socket, and the one that drops what no socket took.
  else if (targetName === 'TPROXY')
    steps = splitCount(() => {
      tproxyOf(objectData(b, target), b[target + 31]!);
      return 2;
    });
  const splits = (ct > 1 ? 1 : 0) + (steps > 1 ? 1 : 0);
  return { rules: Math.max(ct, steps), exact: splits <= 1 && (splits === 0 || !stateful) };
}
