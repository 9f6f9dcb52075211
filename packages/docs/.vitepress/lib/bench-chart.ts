// The performance page's chart: what a user decides with, not every configuration the bench
// measures (the full tables stay below it). Four series: the default path, the fastest path
// one can opt into, Node's own IPC, and the C socketpair (the limit). Colours and text come
// from CSS classes (custom.css), so the chart follows the light and dark themes; the legend
// is HTML, so it wraps on a phone instead of shrinking with the drawing.
import { formatSize, formatTime } from './bench-format.js';
import type { CoreBenchFile, CoreBenchResult } from './core-report.js';

/** One series of the chart. */
export interface ChartSeries {
  transport: string;
  label: string;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The geometric mean of a transport's ratio to C over the sizes it was measured at. */
function meanRatio(file: CoreBenchFile, transport: string): number {
  const ratios = file.results.filter((r) => r.transport === transport && r.ratioToC > 0);
  if (ratios.length < file.sizes.length) return Number.POSITIVE_INFINITY; // not at every size
  return Math.exp(ratios.reduce((sum, r) => sum + Math.log(r.ratioToC), 0) / ratios.length);
}

/**
 * The four series, from the file's transports: `framed-1` (the manager's default), the umd
 * transport with the lowest mean ratio to C among the others, `ipc-json` (Node's `fork()`
 * default; else another `ipc-*`), and `c`. A series the file lacks is left out.
 */
export function chartSeries(file: CoreBenchFile): ChartSeries[] {
  const names = new Map(file.results.map((r) => [r.transport, r.name]));
  const series: ChartSeries[] = [];
  if (names.has('framed-1'))
    series.push({ transport: 'framed-1', label: 'umd default (framed, one request at a time)' });
  const optIns = [...names.keys()].filter(
    (t) => t !== 'framed-1' && t !== 'c' && !t.startsWith('ipc'),
  );
  const fastest = optIns
    .map((transport) => ({ transport, mean: meanRatio(file, transport) }))
    .filter((t) => Number.isFinite(t.mean))
    .sort((a, b) => a.mean - b.mean)[0];
  if (fastest !== undefined)
    series.push({
      transport: fastest.transport,
      label: `umd fastest opt-in (${(names.get(fastest.transport) ?? fastest.transport).replace(/^umd /, '')})`,
    });
  const ipc = names.has('ipc-json')
    ? 'ipc-json'
    : [...names.keys()].find((t) => t.startsWith('ipc'));
  if (ipc !== undefined) series.push({ transport: ipc, label: `Node's IPC (${names.get(ipc)})` });
  if (names.has('c')) series.push({ transport: 'c', label: 'C socketpair (the limit)' });
  return series;
}

/**
 * Grouped bars of the median round-trip time (log scale, lower is better): one group per
 * message size, one bar per series; then the legend as an HTML list. Returns HTML for the
 * page, or `undefined` when there is nothing to chart.
 */
export function coreChartHtml(file: CoreBenchFile): string | undefined {
  const series = chartSeries(file);
  const at = (transport: string, size: number): CoreBenchResult | undefined =>
    file.results.find((r) => r.transport === transport && r.size === size && r.medianNs > 0);
  const shown = series.flatMap((s) => file.sizes.map((size) => at(s.transport, size)));
  const times = shown.filter((r) => r !== undefined).map((r) => r.medianNs);
  if (times.length === 0) return undefined;
  // Compact, with large text: on a phone the drawing scales down to about half.
  const width = 600;
  const height = 340;
  const margin = { top: 16, right: 12, bottom: 44, left: 84 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const bottom = 10 ** Math.floor(Math.log10(Math.min(...times)));
  const top = 10 ** Math.ceil(Math.log10(Math.max(...times)));
  const y = (ns: number) =>
    margin.top + plotH - (Math.log10(ns / bottom) / Math.log10(top / bottom)) * plotH;
  const groupW = plotW / file.sizes.length;
  const barW = Math.min(26, (groupW * 0.84) / series.length);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="bench-chart-svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="bench-chart-title">`,
    '<title id="bench-chart-title">Median round-trip time per message size: umd default, umd fastest opt-in, Node IPC and C socketpair (log scale, lower is better)</title>',
  ];
  for (let tick = bottom; tick <= top * 1.0001; tick *= 10) {
    const ty = y(tick).toFixed(1);
    parts.push(
      `<line class="grid" x1="${margin.left}" x2="${width - margin.right}" y1="${ty}" y2="${ty}"/>`,
      `<text class="tick" x="${margin.left - 8}" y="${(Number(ty) + 6).toFixed(1)}" text-anchor="end">${formatTime(tick).replace(/\.0+ /, ' ').replace('.00 ', ' ')}</text>`,
    );
  }
  file.sizes.forEach((size, g) => {
    const groupX = margin.left + g * groupW + (groupW - barW * series.length) / 2;
    series.forEach((s, i) => {
      const r = at(s.transport, size);
      if (r === undefined) return;
      const barTop = y(r.medianNs);
      parts.push(
        `<rect class="series-${i}" x="${(groupX + i * barW).toFixed(1)}" y="${barTop.toFixed(1)}" width="${(barW - 3).toFixed(1)}" height="${Math.max(1, y(bottom) - barTop).toFixed(1)}"><title>${escapeXml(`${s.label}, ${formatSize(size)}: ${formatTime(r.medianNs)} (${r.ratioToC.toFixed(2)}x C)`)}</title></rect>`,
      );
    });
    parts.push(
      `<text class="size" x="${(margin.left + g * groupW + groupW / 2).toFixed(1)}" y="${height - 14}" text-anchor="middle">${formatSize(size)}</text>`,
    );
  });
  parts.push('</svg>');
  const legend = series
    .map((s, i) => `<li><span class="swatch series-${i}"></span>${escapeXml(s.label)}</li>`)
    .join('');
  return `${parts.join('\n')}\n<ul class="bench-legend">${legend}</ul>`;
}
