/**
 * The native forms of -m mark, -m multiport, -m addrtype, -j MARK, -j CT and -j TPROXY against
 * an oracle that shares no code with bpfilter: random rules are restored by iptables-legacy
 * (through a plain `bpfilter serve`), enforced over netlink, and what nft lists for each must
 * mean what nft lists for `iptables-translate`'s form of the same rule (iptables-nft's), read
 * from the same xt structures by iptables' own extensions. iptables-translate 1.8.9 has no form
 * for CT and TPROXY (it prints `nft # ...`): for those the oracle is the nft rule written here
 * from xt_CT's and xt_TPROXY's source. Both listings are compared in one canonical form
 * (counters out, port sets as merged ranges, a mark rewrite as the function it computes), so
 * an equivalent encoding passes and a different meaning fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { which } from './iptables/namespace.js';
import { jsonInNetns } from './enforce/netns-script.js';
import { canonicalRules, type Expr } from './enforce/oracle-canonical.js';
import {
  addrtypeRule,
  ctRule,
  filterRule,
  markRule,
  type Rule,
  tproxyRule,
} from './enforce/oracle-rules.js';
import { enforceSkipReason } from './enforce/prerequisites.js';

function missingTranslate(): string | undefined {
  if (!which('iptables-translate')) return 'iptables-translate is not installed (Debian iptables)';
  if (spawnSync('iptables-translate', ['-A', 'INPUT', '-j', 'ACCEPT']).status !== 0)
    return 'iptables-translate does not run';
  return undefined;
}
const missing = enforceSkipReason(missingTranslate, 'oracle tests');

const SCRIPT = fileURLToPath(new URL('./enforce/translate-oracle.mjs', import.meta.url));

/** One table's random rules. */
interface Case {
  table: 'filter' | 'mangle' | 'raw';
  rules: Rule[];
}
/** What translate-oracle.mjs reports per case: nft's JSON of each rule's chain, both ways. */
interface Result {
  bpfilter: Record<string, Expr[][] | null> | { error: string };
  oracle: Record<string, Expr[][] | null>;
  translated: Record<string, string[] | null>;
}

const run = (cases: Case[]) => jsonInNetns<Result[]>(SCRIPT, cases, 120_000);

/** The first difference between bpfilter's chains and the oracle's, with the rule's text. */
function differences(cases: Case[], results: Result[]): { compared: number; diffs: string[] } {
  let compared = 0;
  const diffs: string[] = [];
  results.forEach((result, c) => {
    const rules = cases[c]!.rules;
    if ('error' in result.bpfilter) {
      diffs.push(
        `${cases[c]!.table}: ${result.bpfilter.error as string}\n${JSON.stringify(rules)}`,
      );
      return;
    }
    for (const [chain, oracle] of Object.entries(result.oracle)) {
      const mine = (result.bpfilter as Record<string, Expr[][] | null>)[chain];
      const rule = rules[Number(chain.slice(1))]!;
      // No form to compare with, or the kernel's own xt module (nft_compat) runs it.
      if (oracle === null || mine === null || JSON.stringify(mine).includes('{"xt":')) continue;
      compared++;
      const [a, b] = [canonicalRules(mine!), canonicalRules(oracle)];
      if (JSON.stringify(a) !== JSON.stringify(b))
        diffs.push(
          `-t ${cases[c]!.table} ${rule.args}\n  oracle: ${result.translated[chain]}\n  bpfilter: ${JSON.stringify(a)}\n  oracle:   ${JSON.stringify(b)}`,
        );
    }
  });
  return { compared, diffs };
}

/** Every rule of `cases` compared (none left to nft_compat), and none differs in meaning. */
async function expectSameMeaning(cases: Case[]): Promise<void> {
  const { compared, diffs } = differences(cases, await run(cases));
  expect(diffs).toEqual([]);
  expect(compared).toBe(cases.reduce((n, c) => n + c.rules.length, 0));
}

describe.skipIf(missing !== undefined)('native forms against iptables-translate', () => {
  it('mean what iptables-nft installs for random rules of addresses, ports, marks, port lists, address types, MARK', async () => {
    await expectSameMeaning([
      { table: 'filter', rules: fc.sample(filterRule, 60) },
      { table: 'mangle', rules: fc.sample(markRule, 25) },
    ]);
  }, 120_000);

  it('mean what xt_CT, xt_TPROXY and xt_addrtype do for random -j CT, -j TPROXY, -m addrtype', async () => {
    await expectSameMeaning([
      { table: 'raw', rules: fc.sample(ctRule, 15) },
      { table: 'mangle', rules: fc.sample(tproxyRule, 15) },
      { table: 'filter', rules: fc.sample(addrtypeRule, 15) },
    ]);
  }, 120_000);
});
