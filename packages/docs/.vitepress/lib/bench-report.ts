// Turns the benchmark output files (data/core.json from @umd/core's `pnpm bench`,
// data/mgmt.json from @umd/mgmt's) into the table and the SVG chart of the performance page.
// Pure functions: the page is generated from the files, never typed by hand.

export {
  type BenchReport,
  formatSize,
  formatThroughput,
  formatTime,
  type Table,
} from './bench-format.js';
export {
  type CoreBenchFile,
  type CoreBenchResult,
  coreReport,
  coreTables,
  parseCoreBench,
} from './core-report.js';
export { type MgmtBenchFile, mgmtReport } from './mgmt-report.js';
