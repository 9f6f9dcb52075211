// @umd/core's bench (data/core.json): its shape checked, its tables and chart.
import { coreChartHtml } from './bench-chart.js';
import {
  type BenchReport,
  factsOf,
  formatSize,
  formatThroughput,
  formatTime,
  type Table,
} from './bench-format.js';

/** One measurement of @umd/core's bench (bench/run.mjs): a transport at a message size. */
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
