// VitePress data loader: reads the committed benchmark output (data/*.json, copied there
// by `pnpm --filter @umd/docs sync-bench`) at build time and renders the tables and the
// SVG chart of the performance page. No file, no numbers: the page says "not measured yet".
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineLoader } from 'vitepress';
import { coreReport, mgmtReport, type BenchReport } from '../../.vitepress/lib/bench-report.js';

export interface BenchData {
  core: BenchReport | null;
  mgmt: BenchReport | null;
}

const dataFile = (name: string) => fileURLToPath(new URL(`../../data/${name}`, import.meta.url));

function read(name: string, render: (json: unknown) => BenchReport): BenchReport | null {
  const file = dataFile(name);
  if (!existsSync(file)) return null;
  // A broken file fails the build with its reason rather than showing wrong numbers.
  return render(JSON.parse(readFileSync(file, 'utf8')));
}

declare const data: BenchData;
export { data };

export default defineLoader({
  watch: [dataFile('core.json'), dataFile('mgmt.json')],
  load(): BenchData {
    return { core: read('core.json', coreReport), mgmt: read('mgmt.json', mgmtReport) };
  },
});
