/**
 * Random differential test of enforcement against the kernel: fast-check draws tables built
 * to reach every form of the enforced layout (verdict maps, interval maps, counted sets, maps
 * of marks, segments: enforce/fuzz-rules.ts) and probes aimed at their rules
 * (enforce/fuzz-probes.ts); each is restored into both twins (the kernel's legacy tables, and
 * bpfilter enforcing), the probes sent in both, and their outcomes and every counter
 * (`iptables-save -c`) compared. FUZZ_RUNS tables (default 6), FUZZ_SEED to replay a seed.
 * Needs root, nft, ip, nsenter, ping and iptables-legacy; skips otherwise (fails with CI=true).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { debuglog } from 'node:util';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSets } from './enforce/client-cases.js';
import { FOUND } from './enforce/fuzz-found.js';
import { FUZZ_SETS } from './enforce/fuzz-matches.js';
import {
  aimedAt,
  type FuzzCase,
  fuzzCase,
  INVALID_FLAGS,
  probeCandidates,
} from './enforce/fuzz-probes.js';
import type { FuzzRule } from './enforce/fuzz-rules.js';
import { C, F, F2, S } from './enforce/topology.js';
import { enforceSkipReason } from './enforce/prerequisites.js';
import type { Probe } from './enforce/scenario-parts.js';
import { probe, saved, twinPair } from './enforce/twin-pair.js';
import type { Twin } from './enforce/twins.js';
import { which } from './iptables/namespace.js';

const missing = enforceSkipReason(() =>
  which('ipset') ? undefined : 'ipset is not installed (Debian package ipset)',
);
/** Each table's size and time, under NODE_DEBUG=fuzz; FUZZ_DUMP=DIR keeps each mismatch there. */
const debug = debuglog('fuzz');
const RUNS = Number(process.env.FUZZ_RUNS ?? 6);
/**
 * How long a UDP or ICMP probe waits for an answer. Probes run side by side, so a table
 * costs about this; a dropped TCP connect ends sooner (tcp_syn_retries 1: after 3 s; its
 * second SYN leaves F, while C and S send each SYN once: enforce/one-syn.nft).
 */
const WAIT_MS = 5000;
const TCP_WAIT_MS = 10_000;

/** FUZZ_DUMP=DIR keeps each observation whose twins differ there. */
function dump(c: FuzzCase, kernel: unknown, bpfilter: unknown): void {
  if (process.env.FUZZ_DUMP && JSON.stringify(kernel) !== JSON.stringify(bpfilter))
    writeFileSync(
      join(process.env.FUZZ_DUMP, `mismatch-${Date.now()}.json`),
      JSON.stringify({ text: c.text, probes: c.probes, kernel, bpfilter }, null, 1),
    );
}

/** One line per probe: what it was and what it met. */
const described = (p: Probe, outcome: string) =>
  `${p.kind} ${p.from} -> ${p.host}${p.port ? `:${p.port}` : ''}${p.sport ? ` from :${p.sport}` : ''}: ${outcome}`;

describe.skipIf(missing !== undefined)(
  'enforcement fuzz: random tables, same as the kernel',
  () => {
    const pair = twinPair();

    beforeAll(async () => {
      // Every answer and error the same in both twins whatever the load: no ICMP rate limit (its
      // token bucket is shared by the whole machine), and a SYN or SYN-ACK that gets no answer
      // given up after one resend (3 s), so none crosses F at a time that depends on the load.
      const settings = [
        'echo 0 > /proc/sys/net/ipv4/icmp_ratemask',
        'echo 1 > /proc/sys/net/ipv4/tcp_syn_retries',
        'echo 1 > /proc/sys/net/ipv4/tcp_synack_retries',
      ].join('; ');
      // The ipsets the rules' `-m set` name, the same in both twins' F.
      const sets = createSets(FUZZ_SETS);
      for (const twin of pair.twins)
        for (const node of ['C', 'F', 'S'] as const) {
          const script = node === 'F' ? `${settings}; ${sets}` : `${settings}; ${INVALID_FLAGS}`;
          const out = await twin.run(node, ['sh', '-ec', script]);
          expect(out.code, out.stderr).toBe(0);
        }
    }, 30_000);

    async function observe(twin: Twin, c: FuzzCase) {
      const outcomes = await Promise.all(
        c.probes.map(async (p) =>
          described(p, await probe(twin, p, p.kind === 'tcp' ? TCP_WAIT_MS : WAIT_MS)),
        ),
      );
      return { outcomes, saved: await saved(twin) };
    }

    // What the fuzz found, as fixed cases: the expected outcomes in both, the same counters.
    for (const found of FOUND)
      it(found.name, async () => {
        const [k, b] = await pair.both(found.rules, async (twin) => ({
          outcomes: await Promise.all(found.probes.map((p) => probe(twin, p))),
          saved: await saved(twin),
        }));
        const expected = found.probes.map((p) => p.expect);
        expect([k!.outcomes, b!.outcomes]).toEqual([expected, expected]);
        expect(b!.saved).toBe(k!.saved);
        // Packets were counted where the fix is (not zeros agreeing with zeros).
        expect(k!.saved).toMatch(found.counted);
      }, 60_000);

    it(
      `the same outcomes and counters for ${RUNS} random tables`,
      async () => {
        const seen = {
          tables: 0,
          counted: 0,
          rules: 0,
          again: 0,
          /** Rules that counted a RELATED or INVALID packet, or one with a non-zero mark. */
          related: 0,
          invalid: 0,
          marked: 0,
          forms: new Map<string, number>(),
        };
        await fc.assert(
          fc.asyncProperty(fuzzCase, async (c) => {
            const started = Date.now();
            let [k, b] = await pair.both(c.text, (twin) => observe(twin, c));
            debug(
              '%d rules, %d probes: %d ms',
              c.rules.length,
              c.probes.length,
              Date.now() - started,
            );
            dump(c, k!, b!);
            // F's own TCP connects send one SYN or two, by the load (C and S send each once:
            // one-syn.nft; F's tables are the ones compared): an ICMP REJECT back while
            // connect() still holds the socket (the packets are handled in the sender's
            // softirq) is a soft error, and the SYN is sent again after 1 s; with softirqs
            // put off to ksoftirqd it ends the connect at once. A resend can also draw one
            // more answer from S (seed 5: one packet more from S into INPUT in one twin,
            // every probe ETIMEDOUT in both). The same outcomes, other counters: such a table
            // is observed once more, and that is compared (outcomes that differ never are).
            if (
              JSON.stringify(k!.outcomes) === JSON.stringify(b!.outcomes) &&
              k!.saved !== b!.saved
            ) {
              seen.again++;
              [k, b] = await pair.both(c.text, (twin) => observe(twin, c));
              dump(c, k!, b!);
            }
            const table = `table:\n${c.text}`;
            expect(b!.outcomes, table).toEqual(k!.outcomes);
            expect(b!.saved, table).toBe(k!.saved);
            seen.tables++;
            seen.rules += c.rules.length;
            if (/^\[[1-9]\d*:\d+\] -A /m.test(k!.saved)) seen.counted++;
            const counted = (pattern: RegExp) =>
              k!.saved.split('\n').filter((l) => /^\[[1-9]/.test(l) && pattern.test(l)).length;
            seen.related += counted(/(?<!! )--(ctstate|state) (\S*,)?RELATED/);
            seen.invalid += counted(/(?<!! )--(ctstate|state) (\S*,)?INVALID/);
            seen.marked += counted(/-m mark --mark 0x0*[1-9a-f]/);
            const listed = await pair.twins[1]!.run('F', ['nft', 'list', 'ruleset']);
            expect(listed.code, listed.stderr).toBe(0);
            const nft = listed.stdout;
            for (const [form, pattern] of FORMS)
              seen.forms.set(form, (seen.forms.get(form) ?? 0) + (nft.match(pattern)?.length ?? 0));
          }),
          {
            numRuns: RUNS,
            ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
            ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
            // CI reports the seed of a failure at once; a local run shrinks it.
            endOnFailure: process.env.CI === 'true',
          },
        );
        console.log(
          `enforce fuzz: ${seen.tables} tables, ${seen.rules} rules, ${seen.counted} with a rule that counted, ${seen.again} observed twice; rules that counted RELATED packets ${seen.related}, INVALID ones ${seen.invalid}, marked ones ${seen.marked}; layout: ${[...seen.forms].map(([f, n]) => `${f} ${n}`).join(', ')}`,
        );
        // The probes reached the rules (not zeros agreeing with zeros) ...
        expect(seen.counted).toBeGreaterThanOrEqual(Math.ceil(seen.tables / 2));
        // ... and the tables had the layout's grouped forms (interval maps are verdict maps).
        const grouped = ['verdict maps', 'counted sets', 'maps of marks'];
        expect(grouped.reduce((n, form) => n + seen.forms.get(form)!, 0)).toBeGreaterThan(0);
      },
      60_000 + RUNS * 60_000,
    );
  },
);

/** The layout's forms, as `nft list ruleset` shows them in the enforcing twin. */
const FORMS: [string, RegExp][] = [
  ['verdict maps', /^\s*map vmap\d+ /gm],
  ['interval maps', /^\s*map vmap\d+ \{[^}]*flags interval/gm],
  ['counted sets', /^\s*set cset\d+ /gm],
  ['maps of marks', /^\s*map mmap\d+ /gm],
  ['segments', /^\s*chain bpfilter-keyed-rule-segment-/gm],
];

describe("the fuzz's aim", () => {
  const all = probeCandidates(false);
  const aims = (rule: FuzzRule, mangle: FuzzRule[] = []) =>
    aimedAt(rule, all, undefined, mangle).map(
      (p) => `${p.kind} ${p.from} ${p.host}:${p.port ?? ''}`,
    );

  it('finds RELATED: the ICMP error a datagram to a closed port gets back', () => {
    const related: FuzzRule = {
      chain: 'INPUT',
      proto: 'icmp',
      extras: [{ m: 'ct', module: 'conntrack', states: ['RELATED'], not: false }],
      target: '-j DROP',
    };
    // F's own datagrams to C, S and itself, answered by the kernels into F's INPUT.
    expect(aims(related)).toEqual([`udp F ${C}:9`, `udp F ${S}:9`, `udp F ${F2}:9`]);
  });

  it('finds INVALID: the SYN-FIN C and S send to port 9999, and the RST that answers it', () => {
    const invalid: FuzzRule = {
      chain: 'INPUT',
      proto: 'tcp',
      extras: [{ m: 'ct', module: 'state', states: ['INVALID'], not: false }],
      target: '-j DROP',
    };
    expect(aims(invalid)).toEqual([
      `tcp C ${F}:9999`,
      `tcp C ${F2}:9999`,
      `tcp S ${F2}:9999`,
      `tcp S ${F}:9999`,
    ]);
  });

  it("follows the marks mangle's MARK rules write", () => {
    const marked: FuzzRule = {
      chain: 'FORWARD',
      proto: 'udp',
      extras: [{ m: 'mark', value: 0x4, mask: 0x4, not: false }],
      target: '-j DROP',
    };
    const mangle: FuzzRule[] = [
      { chain: 'PREROUTING', src: C, target: '-j MARK --or-mark 0x4' },
      { chain: 'PREROUTING', src: S, target: '-j MARK --set-xmark 0x1/0x3' },
    ];
    // What C sends is marked 4 in PREROUTING (S's 1): C's datagrams to S and its answers to S.
    expect(aims(marked, mangle)).toEqual([
      ...[53, 5353, 7053, 9].map((p) => `udp C ${S}:${p}`),
      ...[53, 5353, 7053].map((p) => `udp S ${C}:${p}`),
    ]);
    expect(aims(marked)).toEqual([]);
  });
});
