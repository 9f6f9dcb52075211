// The table mgmt-bench.mjs prints from its results (the same figures it writes to mgmt.json).
import { loadavg } from 'node:os';
import { LARGE } from './large-vs-c.mjs';
import { median } from './large-rows.mjs';

const us = (v) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(1)} µs`);
const ms = (v, digits = 1) => `${v.toFixed(digits)} ms`;
const x = (ratio, digits = 2) => `${ratio.toFixed(digits)}x`;

/** [measurement, value, vs baseline, target, met] lines of the table. */
function tableRows({ roundTrip64B, coldStart, largeRoundTrips, stderrFlood }) {
  return [
    ...(roundTrip64B ? smallRows(roundTrip64B) : []),
    ...(coldStart ? coldRows(coldStart) : []),
    ...(largeRoundTrips ? largeRows(largeRoundTrips) : []),
    ...(stderrFlood ? floodRows(stderrFlood) : []),
  ];
}

function smallRows(r) {
  return [
    [
      `64 B round trip, bare FramedChannel (same transport, tuned env; ${r.placement})`,
      us(r.bareChannelUs),
      'baseline',
    ],
    [
      '64 B round trip, UmdManager.request() (defaults)',
      us(r.managerUs),
      x(r.ratio, 3),
      '<= 1.10x',
      r.ratio <= 1.1,
    ],
    ['  host CPU per round trip, bare FramedChannel', us(r.hostCpuUs.bareChannel), 'baseline'],
    [
      '  host CPU per round trip, UmdManager.request()',
      us(r.hostCpuUs.manager),
      x(r.hostCpuUs.ratio, 3),
      '<= 1.10x',
      r.hostCpuUs.ratio <= 1.1,
    ],
  ];
}

function coldRows(c) {
  return [
    ['cold start, `node -e 0` (same clean env)', ms(c.nodeE0Ms), 'baseline'],
    [
      'cold start, JS handler: first request (defaults)',
      ms(c.jsHandlerMs),
      x(c.jsRatio),
      '<= 1.3x',
      c.jsRatio <= 1.3,
    ],
    [
      "  same, sandbox.containment 'process-group' (no PID namespace)",
      ms(c.jsHandlerProcessGroupMs),
      x(c.jsHandlerProcessGroupMs / c.nodeE0Ms),
    ],
    [
      '  same, transport.replySocket true',
      ms(c.jsHandlerReplySocketMs),
      x(c.jsHandlerReplySocketMs / c.nodeE0Ms),
    ],
    [
      '  same, transport.tuneAllocator false',
      ms(c.jsHandlerOptOutMs),
      x(c.jsHandlerOptOutMs / c.nodeE0Ms),
    ],
    [
      'cold start, native handler: first request (defaults)',
      ms(c.nativeHandlerMs, 2),
      '',
      '< 5 ms',
      c.nativeHandlerMs < 5,
    ],
    [
      "  same, sandbox.containment 'process-group' (no PID namespace)",
      ms(c.nativeHandlerProcessGroupMs, 2),
    ],
    ['  same, transport.replySocket true', ms(c.nativeHandlerReplySocketMs, 2)],
    ['  same, transport.tuneAllocator false', ms(c.nativeHandlerOptOutMs, 2)],
    [
      '  floor: same binary spawned bare (stdio pipes), HELLO + 1 reply',
      ms(c.nativeBareSpawnFirstReplyMs, 2),
    ],
  ];
}

function largeRows(largeRoundTrips) {
  const rows = [];
  for (const [label, l] of Object.entries(largeRoundTrips))
    rows.push(
      [
        `${label} round trip, C socketpair (pingpong.c), faster pair per round`,
        us(l.cUs),
        'baseline',
      ],
      [`  C pair, the kernel's default send buffers`, us(l.cDefaultUs), x(l.cDefaultUs / l.cUs)],
      [`  C pair, the stdio sockets' send buffer`, us(l.cSocketUs), x(l.cSocketUs / l.cUs)],
      [
        `${label} round trip, bare FramedChannel (same transport, tuned env)`,
        us(l.bareChannelUs),
        x(l.bareChannelRatio),
      ],
      [
        `${label} round trip, UmdManager.request() (defaults)`,
        us(l.managerDefaultUs),
        x(l.managerDefaultRatio),
        `<= ${l.defaultTarget}x`,
        l.managerDefaultRatio <= l.defaultTarget,
      ],
      [
        `${label} round trip, UmdManager.request(p, { replyInto })`,
        us(l.managerIntoUs),
        x(l.managerIntoRatio),
        `<= ${l.intoTarget}x`,
        l.managerIntoRatio <= l.intoTarget,
      ],
      [
        `${label} round trip, UmdManager, transport.tuneAllocator false`,
        us(l.managerOptOutUs),
        x(l.managerOptOutRatio),
      ],
      [
        `${label} round trip, UmdManager, transport.stdioSockets false`,
        us(l.managerPipesUs),
        x(l.managerPipesRatio),
      ],
    );
  return rows;
}

function floodRows(f) {
  return [
    ['64 B requests/s, a manager alone', f.aloneRps.toFixed(0), 'baseline'],
    [
      '64 B requests/s, beside a stderr-flooding handler (same host)',
      f.besideRps.toFixed(0),
      x(f.ratio),
      '>= 0.5x',
      f.ratio >= 0.5,
    ],
  ];
}

/**
 * Each round's ratio to that round's C row, for the large rows (the spread behind a median); `*`
 * marks a sample in which a mark-compact started. The median of these ratios follows (each sample
 * against the C row measured beside it, where the table divides the row's median by the C row's),
 * and the table's ratio over the 15 rounds run before the measured ones: what the bench printed
 * before session 27, when those were its measured rounds (README, "Session 27").
 */
function roundLines(largeRoundTrips, timeSplit) {
  const lines = [];
  for (const [label, l] of Object.entries(largeRoundTrips))
    for (const key of ['bare', 'managerDefault', 'managerInto']) {
      const majors = timeSplit?.[`${label} ${key}`]?.majorsPerSample ?? [];
      const each = l.runs[key].map((v, i) => v / l.runs.c[i]);
      const ratios = each.map((r, i) => `${r.toFixed(2)}${majors[i] > 0 ? '*' : ''}`);
      const first = l.firstRoundsRatio?.[key];
      const before =
        first === undefined
          ? ''
          : `; the ${l.firstRounds} rounds before them (the method before session 27) ${first.toFixed(2)}x`;
      lines.push(
        `  ${`${label} ${key}`.padEnd(22)} ${ratios.join(' ')}; median ${median(each).toFixed(2)}x${before}`,
      );
    }
  return lines;
}

/** Where each large row's time went, per round trip over all its rounds. */
function splitLines(timeSplit) {
  return Object.entries(timeSplit).map(([key, t]) => {
    const n = t.samples * LARGE.find((l) => key.startsWith(`${l.label} `)).count;
    const per = (msTotal) => us((msTotal * 1000) / n).padStart(9);
    const gcMs = Object.values(t.gc).reduce((sum, g) => sum + g.ms, 0);
    const majors = (t.gc.major?.count ?? 0) / t.samples;
    return `  ${key.padEnd(22)} wall ${per(t.wallMs)}  host cpu ${per(t.hostUserMs + t.hostSystemMs)} (sys ${per(t.hostSystemMs)})  faults ${(t.hostFaults / n).toFixed(0).padStart(5)}  GC ${per(gcMs)} (${majors.toFixed(1)} major/sample)  other cpu ${per(t.otherCpuMs)}  faults ${(t.otherFaults / n).toFixed(0).padStart(4)}`;
  });
}

/** Where the large rows' time went and each round's ratio, below the table. */
function printLargeDetail(results) {
  console.log(
    '\nWhere a large round trip goes (per round trip, all rounds: host = this process; other = the handler, or both C processes; GC = main-thread pauses):',
  );
  for (const line of splitLines(results.largeTimeSplit)) console.log(line);
  console.log(
    '\nEach round of the large rows, as a ratio to the C row of the same round (* a mark-compact started in that sample):',
  );
  for (const line of roundLines(results.largeRoundTrips, results.largeTimeSplit)) console.log(line);
}

/**
 * Prints the results; `launcher` is what `findLauncher()` found (undefined: the program chain
 * starts the handlers).
 */
export function printReport(results, settings, launcher) {
  const { rounds, roundTrips, coldRuns } = settings;
  console.log(
    `\n@umd/mgmt bench, node ${process.version}, ${results.machine.cpus} CPUs (medians of ${rounds} rounds x ${roundTrips} round trips, ${coldRuns} cold starts)\n`,
  );
  console.log(
    `handlers start through ${launcher === undefined ? 'the program chain (setpriv, unshare, dash, the descriptor-closing bash...)' : `the launcher ${launcher.file}`}\n`,
  );
  console.log(`| ${'measurement'.padEnd(62)} |      value | vs baseline    | target   | met |`);
  console.log(`|${'-'.repeat(64)}|-----------:|---------------:|----------|-----|`);
  for (const [name, value, baseline = '', target = '', met] of tableRows(results))
    console.log(
      `| ${name.padEnd(62)} | ${value.padStart(10)} | ${baseline.padStart(14)} | ${target.padEnd(8)} | ${met === undefined ? '   ' : met ? 'yes' : 'NO '} |`,
    );
  if (results.largeRoundTrips) printLargeDetail(results);
  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}
