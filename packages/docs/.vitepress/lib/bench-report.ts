// Turns the benchmark output files (data/core.json from @umd/core's `pnpm bench`,
// data/mgmt.json from @umd/mgmt's) into the table and the SVG chart of the performance page.
// Pure functions: the page is generated from the files, never typed by hand.

/** One measurement of @umd/core's bench (bench/run.mjs): a transport at a message size. */
import { coreChartHtml } from './bench-chart.js';

export interface CoreBenchResult {
  transport: string;
  name: string;
  size: number;
  medianNs: number;
  throughputMiBs: number;
  ratioToC: number;
  samples?: number;
  roundTripsPerSample?: number;
}

/** The file @umd/core's bench writes (bench-results/core.json). */
export interface CoreBenchFile {
  date: string;
  node: string;
  cpus: number;
  loadavg?: number[];
  sizes: number[];
  results: CoreBenchResult[];
}

/** A table ready to render: header cells and rows of cells (plain text). */
export interface Table {
  head: string[];
  rows: string[][];
}

export interface BenchReport {
  /** Where the numbers come from, for the caption. */
  source: string;
  /** Machine and run facts from the file: date, Node version, CPUs, load. */
  facts: string[];
  tables: Array<{ title: string; table: Table }>;
  /** The chart (an SVG and its legend) as HTML, or undefined when there is nothing to chart. */
  chartHtml?: string;
}

export function formatSize(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes / (1 << 20)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} B`;
}

export function formatTime(ns: number): string {
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(2)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function formatThroughput(mibs: number): string {
  return mibs >= 100
    ? `${mibs.toFixed(0)} MiB/s`
    : mibs >= 10
      ? `${mibs.toFixed(1)} MiB/s`
      : `${mibs.toFixed(2)} MiB/s`;
}

/** Checks the shape of core.json, with a message that says what is wrong. */
export function parseCoreBench(json: unknown): CoreBenchFile {
  const file = json as Partial<CoreBenchFile>;
  if (
    typeof file !== 'object' ||
    file === null ||
    !Array.isArray(file.results) ||
    !Array.isArray(file.sizes)
  ) {
    throw new Error('core bench file: expected an object with "sizes" and "results" arrays');
  }
  for (const [index, r] of file.results.entries()) {
    for (const key of ['transport', 'name'] as const) {
      if (typeof r?.[key] !== 'string')
        throw new Error(`core bench file: results[${index}].${key} must be a string`);
    }
    for (const key of ['size', 'medianNs', 'throughputMiBs', 'ratioToC'] as const) {
      if (typeof r?.[key] !== 'number' || !Number.isFinite(r[key]))
        throw new Error(`core bench file: results[${index}].${key} must be a finite number`);
    }
  }
  return file as CoreBenchFile;
}

/** Transports in the order of the file's first appearance (the bench's own order). */
function transportsOf(file: CoreBenchFile): Array<{ transport: string; name: string }> {
  const seen = new Map<string, string>();
  for (const r of file.results) if (!seen.has(r.transport)) seen.set(r.transport, r.name);
  return [...seen].map(([transport, name]) => ({ transport, name }));
}

function factsOf(file: {
  date?: string;
  node?: string;
  cpus?: number;
  loadavg?: number[];
}): string[] {
  const facts: string[] = [];
  if (file.date) facts.push(`run ${file.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`);
  if (file.node) facts.push(`Node ${file.node}`);
  if (file.cpus) facts.push(`${file.cpus} CPUs`);
  if (file.loadavg?.length)
    facts.push(`load average at the end ${file.loadavg.map((l) => l.toFixed(2)).join(', ')}`);
  return facts;
}

/**
 * Median round trip (with its ratio to the C baseline) and throughput: one row per
 * transport, one column per message size.
 */
export function coreTables(file: CoreBenchFile): Array<{ title: string; table: Table }> {
  const transports = transportsOf(file);
  const at = (transport: string, size: number) =>
    file.results.find((r) => r.transport === transport && r.size === size);
  const head = ['transport', ...file.sizes.map(formatSize)];
  const table = (cell: (r: CoreBenchResult) => string): Table => ({
    head,
    rows: transports.map(({ transport, name }) => [
      name,
      ...file.sizes.map((size) => {
        const r = at(transport, size);
        return r ? cell(r) : 'n/a';
      }),
    ]),
  });
  return [
    {
      title: 'Median round-trip time (ratio to the C baseline)',
      table: table((r) => `${formatTime(r.medianNs)} (${r.ratioToC.toFixed(2)}x)`),
    },
    {
      title: 'Throughput (payload bytes each way per second)',
      table: table((r) => formatThroughput(r.throughputMiBs)),
    },
  ];
}

export function coreReport(json: unknown): BenchReport {
  const file = parseCoreBench(json);
  return {
    source: 'data/core.json',
    facts: factsOf(file),
    tables: coreTables(file),
    chartHtml: coreChartHtml(file),
  };
}

/** The file @umd/mgmt's bench writes (bench-results/mgmt.json); fields as that bench names them. */
export interface MgmtBenchFile {
  machine?: { node?: string; cpus?: number; date?: string; loadavg?: number[] };
  roundTrip64B?: {
    bareChannelUs: number;
    managerUs: number;
    ratio: number;
    target?: string;
    /** `ratio`: the median of per-pair ratios (newer bench files), else the medians' ratio. */
    hostCpuUs?: { bareChannel: number; manager: number; ratio?: number; target?: string };
  };
  coldStart?: {
    nodeE0Ms: number;
    jsHandlerMs: number;
    jsRatio: number;
    jsTarget?: string;
    nativeHandlerMs?: number;
    nativeHandlerReplySocketMs?: number;
    nativeHandlerOptOutMs?: number;
    nativeBareSpawnFirstReplyMs?: number;
    nativeTarget?: string;
    runs?: number;
  };
  /** Per size label ("1 MiB"): C socketpair and manager round trips in microseconds. */
  largeRoundTrips?: Record<
    string,
    {
      cUs: number;
      bareChannelUs?: number;
      managerDefaultUs: number;
      managerIntoUs?: number;
      managerOptOutUs?: number;
      target?: string;
    }
  >;
}

const num = (value: unknown, what: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new Error(`mgmt bench file: ${what} must be a finite number`);
  return value;
};
const us = (value: number) => formatTime(value * 1e3);
const ms = (value: number) => `${value.toFixed(1)} ms`;

/**
 * The manager's bench: 64 B round trips through `UmdManager` beside the bare channel, and
 * cold starts. Any other shape is shown as a flat list of its numeric fields, so that a
 * change of the bench's output never turns into invented or missing numbers silently.
 */
export function mgmtReport(json: unknown): BenchReport {
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new Error('mgmt bench file: expected an object');
  const file = json as MgmtBenchFile;
  const tables: BenchReport['tables'] = [];
  const rt = file.roundTrip64B;
  if (rt) {
    const rows = [
      [
        'median round trip',
        us(num(rt.bareChannelUs, 'roundTrip64B.bareChannelUs')),
        us(num(rt.managerUs, 'roundTrip64B.managerUs')),
        `${num(rt.ratio, 'roundTrip64B.ratio').toFixed(2)}x`,
        rt.target ?? '',
      ],
    ];
    if (rt.hostCpuUs) {
      const bare = num(rt.hostCpuUs.bareChannel, 'roundTrip64B.hostCpuUs.bareChannel');
      const manager = num(rt.hostCpuUs.manager, 'roundTrip64B.hostCpuUs.manager');
      const cpu = rt.hostCpuUs;
      const ratio =
        cpu.ratio === undefined ? manager / bare : num(cpu.ratio, 'roundTrip64B.hostCpuUs.ratio');
      rows.push([
        'host CPU time per request',
        us(bare),
        us(manager),
        `${ratio.toFixed(2)}x`,
        cpu.target ?? '',
      ]);
    }
    tables.push({
      title: 'Round trip of a 64 B request: UmdManager against the bare FramedChannel',
      table: { head: ['measure', 'bare channel', 'UmdManager', 'ratio', 'target'], rows },
    });
  }
  const cs = file.coldStart;
  if (cs) {
    const base = num(cs.nodeE0Ms, 'coldStart.nodeE0Ms');
    const rows = [
      ['node -e 0, same clean environment (baseline)', ms(base), '1.00x', ''],
      [
        'JS handler, first request (load, spawn, HELLO, reply)',
        ms(num(cs.jsHandlerMs, 'coldStart.jsHandlerMs')),
        `${num(cs.jsRatio, 'coldStart.jsRatio').toFixed(2)}x`,
        cs.jsTarget ?? '',
      ],
    ];
    if (cs.nativeHandlerMs !== undefined)
      rows.push([
        'native handler, first request',
        ms(num(cs.nativeHandlerMs, 'coldStart.nativeHandlerMs')),
        '',
        cs.nativeTarget ?? '',
      ]);
    const extra: Array<[keyof NonNullable<MgmtBenchFile['coldStart']>, string]> = [
      ['nativeHandlerReplySocketMs', 'native handler, transport.replySocket true'],
      ['nativeHandlerOptOutMs', 'native handler, transport.tuneAllocator false'],
      ['nativeBareSpawnFirstReplyMs', 'floor: the native binary spawned bare, HELLO and one reply'],
    ];
    for (const [key, what] of extra)
      if (cs[key] !== undefined) rows.push([what, ms(num(cs[key], `coldStart.${key}`)), '', '']);
    tables.push({
      title: `Cold start${cs.runs ? ` (median of ${cs.runs} runs)` : ''}`,
      table: { head: ['what', 'time', 'ratio to node -e 0', 'target'], rows },
    });
  }
  const large = file.largeRoundTrips;
  if (large && Object.keys(large).length > 0) {
    const rows: string[][] = [];
    for (const [label, l] of Object.entries(large)) {
      const c = num(l.cUs, `largeRoundTrips.${label}.cUs`);
      const row = (what: string, value: number | undefined, key: string, target = '') => {
        if (value === undefined) return;
        const v = num(value, `largeRoundTrips.${label}.${key}`);
        rows.push([`${label}, ${what}`, us(v), `${(v / c).toFixed(2)}x`, target]);
      };
      row('C socketpair (baseline)', c, 'cUs');
      row(
        'bare FramedChannel (same transport, tuned environment)',
        l.bareChannelUs,
        'bareChannelUs',
      );
      row(
        'UmdManager.request() (defaults)',
        l.managerDefaultUs,
        'managerDefaultUs',
        l.target ?? '',
      );
      row('UmdManager.request() with replyInto', l.managerIntoUs, 'managerIntoUs', l.target ?? '');
      row('UmdManager, transport.tuneAllocator false', l.managerOptOutUs, 'managerOptOutUs');
    }
    tables.push({
      title: 'Large round trips through UmdManager against the C socketpair',
      table: { head: ['what', 'median round trip', 'ratio to C', 'target'], rows },
    });
  }
  if (tables.length === 0) {
    const rows: string[][] = [];
    const visit = (value: unknown, path: string) => {
      if (typeof value === 'number' && Number.isFinite(value))
        rows.push([path, Number.isInteger(value) ? String(value) : value.toFixed(3)]);
      else if (typeof value === 'string' && path !== 'machine.date') rows.push([path, value]);
      else if (typeof value === 'object' && value !== null && !Array.isArray(value))
        for (const [k, v] of Object.entries(value)) visit(v, path ? `${path}.${k}` : k);
    };
    visit(json, '');
    tables.push({
      title: 'Results (fields as the bench wrote them)',
      table: { head: ['field', 'value'], rows },
    });
  }
  return { source: 'data/mgmt.json', facts: factsOf({ ...(file.machine ?? {}) }), tables };
}
