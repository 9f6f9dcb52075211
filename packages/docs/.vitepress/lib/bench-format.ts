// What both benchmark pages share: the report's shape, number formats, and the run's facts.

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

/** Machine and run facts a bench file records, for the caption. */
export function factsOf(file: {
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
