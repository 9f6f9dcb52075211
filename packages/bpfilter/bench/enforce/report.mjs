// The enforcement bench's report: medians, per-round ratios, the CPU by part, the targets.
import { median } from '../median.mjs';

/**
 * Prints what the rounds measured. `n`, `runs`, `warmup`, `packets`: the CLI's arguments;
 * `rounds`: applyRounds' result; `packet`, `lastRule`: pingRounds' without and with the
 * accepting rule at the end; `layout`: inputLayout's; `lastSegment`: lastSegmentRules'.
 */
export function printReport({ n, runs, warmup, packets }, results) {
  const { rounds, packet, lastRule, layout, lastSegment, warmedUp } = results;
  const { apply, cold, cpu, faults, roundsCpu } = rounds;
  console.log(
    `\nenforcement: ${n}-rule filter table, ${runs} interleaved rounds after ${warmup} warm-up rounds, medians`,
  );
  console.table({
    'apply: iptables-legacy-restore into the kernel (legacy)': {
      ms: median(apply.legacy).toFixed(1),
    },
    'apply: iptables-legacy-restore into bpfilter --enforce': {
      ms: median(apply.enforced).toFixed(1),
    },
    'apply: nft -j -f of the translated table alone': { ms: median(apply.nft).toFixed(1) },
  });
  // Each echo crosses INPUT twice (request and reply, both on lo).
  const perPacket = (times, ms) => ((median(ms) - median(times.baseline)) * 1000) / (packets * 2);
  for (const [times, what] of [
    [packet, 'no rule matches'],
    [lastRule, `the last rule (${n + 1}) accepts`],
  ]) {
    console.table({
      [`ping -f x${packets}, no rules`]: { ms: median(times.baseline), 'µs per INPUT walk': '-' },
      [`ping -f x${packets}, legacy table, ${what}`]: {
        ms: median(times.legacy),
        'µs per INPUT walk': perPacket(times, times.legacy).toFixed(2),
      },
      [`ping -f x${packets}, enforced table, ${what}`]: {
        ms: median(times.enforced),
        'µs per INPUT walk': perPacket(times, times.enforced).toFixed(2),
      },
    });
  }
  const { nftRules, lookups, guards, segmented, segments } = layout;
  console.log(
    `enforced INPUT: ${nftRules} nft rules for ${n} iptables rules (${lookups} verdict-map lookups, ${guards} segment guards); ${segmented} rules in ${segments} segments; the last rule in a segment of ${lastSegment} rules`,
  );
  // Per round (the rounds interleave, so a busy moment hits all three of a round alike).
  const walks = (times, ms, i) => ((ms[i] - times.baseline[i]) * 1000) / (packets * 2);
  const byRound = (times) =>
    times.legacy.map((_, i) => walks(times, times.enforced, i) / walks(times, times.legacy, i));
  for (const [times, what] of [
    [packet, 'no rule matches'],
    [lastRule, 'the last rule accepts'],
  ]) {
    const ratios = byRound(times);
    console.log(
      `per packet (${what}), enforced / legacy by round: ${ratios.map((r) => r.toFixed(2)).join(' ')} (max ${Math.max(...ratios).toFixed(2)})`,
    );
  }
  console.log(warmedUp);
  console.log(
    `apply, first round (the service's first apply): legacy ${cold.legacy.toFixed(1)} ms, enforced ${cold.enforced.toFixed(1)} ms`,
  );
  const applyRatios = apply.legacy.map((l, i) => apply.enforced[i] / l);
  console.log(
    `apply, enforced / legacy by round: ${applyRatios.map((r) => r.toFixed(2)).join(' ')}`,
  );
  const cpuMedians = Object.fromEntries(
    Object.keys(cpu[0] ?? {}).map((part) => [
      part,
      median(cpu.map((c) => c[part] ?? 0)).toFixed(1),
    ]),
  );
  console.log('apply, CPU ms of an enforced restore by part (medians):', cpuMedians);
  const faultMedians = Object.fromEntries(
    Object.keys(faults[0] ?? {}).map((part) => [part, median(faults.map((f) => f[part] ?? 0))]),
  );
  console.log('apply, minor page faults of an enforced restore by part (medians):', faultMedians);
  // By round, warm-up rounds first: what still warms up from one restore to the next.
  console.log('apply, CPU ms by part and round (warm-up rounds first):');
  console.table(
    Object.fromEntries(
      Object.keys(cpuMedians).map((part) => [
        part,
        roundsCpu.map((c) => (c[part] ?? 0).toFixed(1)),
      ]),
    ),
  );
  console.log(
    `apply, enforced / legacy: ${(median(apply.enforced) / median(apply.legacy)).toFixed(2)}x (target <= 2)`,
  );
  for (const [times, what] of [
    [packet, 'no rule matches'],
    [lastRule, 'the last rule accepts'],
  ])
    console.log(
      `per packet (${what}), enforced / legacy: ${(perPacket(times, times.enforced) / perPacket(times, times.legacy)).toFixed(2)}x (target <= 1)`,
    );
}
