/**
 * An ipset is let go at once under enforcement, as the kernel's legacy tables let go of it
 * inside the SET_REPLACE: after a change that removes every `-m set` and `-j SET` naming a
 * set, `ipset destroy` of it succeeds straight away. nf_tables frees a replaced table's rules
 * (and nft_compat's xt_set references) in a work queue after the commit; the service has the
 * kernel run that work before it answers (batch-writer.ts). Each way of removing the rules
 * runs 50 times in a row in one shell, in both twins (so a late release cannot hide behind a
 * slow round), and the shell stops at the first destroy the kernel refuses. A table that goes
 * away at a start (left by an earlier service) is checked through the API, whose start
 * resolves right after the kernel's commit (ipset-start-release.mjs).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CLI, which } from './iptables/namespace.js';
import { twinPair } from './enforce/twin-pair.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import { nodeInNetns } from './enforce/netns-script.js';
import type { Twin } from './enforce/twins.js';

const missing = enforceSkipReason(() =>
  which('ipset') ? undefined : 'ipset is not installed (Debian package ipset)',
);

const ROUNDS = 50;
/** Each start round starts a service and a front end: fewer. */
const START_ROUNDS = 20;
const FILTER = ':INPUT ACCEPT [0:0]\\n:FORWARD ACCEPT [0:0]\\n:OUTPUT ACCEPT [0:0]\\n';

/**
 * A shell loop of `rounds`: create the sets (`$A`, `$B`), run `refer` (rules naming them),
 * then `drop`, in which `gone NAME` destroys a set the rules no longer name, or stops the loop.
 */
function loop(refer: string, drop: string, rounds = ROUNDS): string {
  return `${PRELUDE}
gone() { ipset destroy "$1" || { echo "round $i: $1 still in use" >&2; exit 1; }; }
i=0
while [ $i -lt ${rounds} ]; do
  i=$((i + 1))
  ipset create $A hash:ip; ipset create $B hash:ip
  ${refer}
  ${drop}
done
echo "$i rounds"`;
}

/**
 * Runs `script` in F of each twin (directly on the kernel's tables, or under `bpfilter exec`),
 * both to the end, and returns what each printed; fails if either failed.
 */
async function inF(twins: Twin[], script: string, sets: string[]): Promise<string[]> {
  const [A = '', B = ''] = sets;
  const outs = await Promise.all(
    twins.map((twin) => {
      const shell = ['sh', '-ec', script];
      const argv =
        twin.flavour === 'kernel'
          ? shell
          : [process.execPath, CLI, 'exec', '--socket', twin.socketPath, '--', ...shell];
      return twin.run('F', argv, undefined, { A, B });
    }),
  );
  for (const [i, out] of outs.entries())
    expect(out.code, `${twins[i]!.flavour}: ${out.stderr}`).toBe(0);
  return outs.map((out) => out.stdout.trim());
}

const PRELUDE = 'ipt() { iptables-legacy -w "$@"; }';
const MATCH = '-m set --match-set $A src -j DROP';
const TARGET = '-j SET --add-set $B src';
const BOTH = `ipt -A INPUT ${MATCH}; ipt -A INPUT -p tcp ${TARGET}`;

const WAYS: [string, string, string][] = [
  [
    'a replace (iptables-restore) without the rules',
    BOTH,
    `printf '*filter\\n${FILTER}-A INPUT -p tcp --dport 22 -j ACCEPT\\nCOMMIT\\n' | iptables-legacy-restore -w; gone $A; gone $B`,
  ],
  ['iptables -F', BOTH, 'ipt -F; gone $A; gone $B'],
  [
    'iptables -D, one rule at a time',
    BOTH,
    `ipt -D INPUT ${MATCH}; gone $A; ipt -D INPUT -p tcp ${TARGET}; gone $B`,
  ],
  [
    "a chain's deletion (-F and -X of it in one restore)",
    `ipt -N sets; ipt -A sets ${MATCH}; ipt -A sets -p tcp ${TARGET}; ipt -A INPUT -j sets`,
    `printf '*filter\\n-D INPUT -j sets\\n-F sets\\n-X sets\\nCOMMIT\\n' | iptables-legacy-restore -w --noflush; gone $A; gone $B`,
  ],
];

describe.skipIf(missing !== undefined)(
  'an ipset is let go at once, as the legacy tables do',
  () => {
    const pair = twinPair();

    for (const [n, [way, refer, drop]] of WAYS.entries())
      it(`${way}: ipset destroy succeeds at once, ${ROUNDS} times in a row`, async () => {
        const sets = [`match${n}`, `target${n}`];
        const done = await inF(pair.twins, loop(refer, drop), sets);
        expect(done).toEqual([`${ROUNDS} rounds`, `${ROUNDS} rounds`]);
      }, 120_000);

    it('a replace that keeps what the old rules held waits for nothing; one that drops a set waits', async () => {
      const [, bpfilter] = pair.twins as [Twin, Twin];
      const sets = ['kept', 'added'];
      await inF([bpfilter], 'ipset create $A hash:ip; ipset create $B hash:ip', sets);
      // Each step, and whether the service had the kernel free the old rules (its `release` step).
      const steps: [string, boolean][] = [
        [`ipt -A INPUT ${MATCH}`, false], // the old table named no set
        ['ipt -A INPUT -p udp -j ACCEPT', false], // the set rule kept
        [`ipt -A INPUT -p tcp ${TARGET}`, false], // one more set, none dropped
        ['ipt -D INPUT -p udp -j ACCEPT', false],
        [`ipt -D INPUT ${MATCH}`, true], // $A no longer named
        ['ipt -F', true],
      ];
      const released: boolean[] = [];
      for (const [step] of steps) {
        const mark = bpfilter.serviceLog.length;
        await inF([bpfilter], `${PRELUDE}; ${step}`, sets);
        released.push(/^BPFILTER \d+: release /m.test(bpfilter.serviceLog.slice(mark)));
      }
      expect(released).toEqual(steps.map(([, release]) => release));
      await inF([bpfilter], 'ipset destroy $A; ipset destroy $B', sets);
    }, 60_000);

    it(`a table left by an earlier service, dropped at a start: its sets let go at once, ${START_ROUNDS} times`, async () => {
      const script = fileURLToPath(new URL('./enforce/ipset-start-release.mjs', import.meta.url));
      expect(await nodeInNetns(script, [String(START_ROUNDS), CLI], 110_000)).toBe(
        `${START_ROUNDS} rounds`,
      );
    }, 120_000);
  },
);
