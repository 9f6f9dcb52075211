/**
 * How many nft rules an iptables rule becomes, read from its entry in place: one, or several
 * that no packet matches two of for a `--ctstate` with SNAT/DNAT (ct-alternatives.ts) or a
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
 * How many nft rules the rule of the entry at `offset` becomes (1 for most), and whether the
 * split is exact: one thing splits it, and no stateful match is beside it.
 */
export function ruleSplit(b: Uint8Array, offset: number): { rules: number; exact: boolean } {
  const target = targetAt(b, offset);
  let rules = 1;
  let splits = 0;
  let stateful = false;
  const add = (count: number) => {
    if (count > 1) splits++;
    rules = Math.max(rules, count);
  };
  for (let pos = offset + IPT_ENTRY_SIZE; pos < target; pos += readU16(b, pos)) {
    const name = objectName(b, pos);
    stateful ||= STATEFUL.has(name);
    if (name !== 'conntrack') continue;
    add(
      splitCount(() => {
        const test = ctStateOf({
          kind: 'raw',
          name,
          revision: b[pos + 31]!,
          data: objectData(b, pos),
        });
        return test === undefined ? 1 : ctAlternatives(test).length;
      }),
    );
  }
  const targetName = objectName(b, target);
  if (targetName === 'TTL')
    add(splitCount(() => ttlSteps(objectData(b, target), b[target + 31]!)?.length ?? 1));
  // The rule that sends to the socket, and the one that drops what no socket took.
  else if (targetName === 'TPROXY')
    add(
      splitCount(() => {
        tproxyOf(objectData(b, target), b[target + 31]!);
        return 2;
      }),
    );
  return { rules, exact: splits <= 1 && (splits === 0 || !stateful) };
}
