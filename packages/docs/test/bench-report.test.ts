// The performance page's tables and chart are generated from the bench output files.
// These tests use a tiny synthetic file (clearly not a measurement) to check the renderer,
// and check that the built page shows data/*.json when present and "not measured yet" when not.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartSeries, coreChartHtml } from '../.vitepress/lib/bench-chart.js';
import {
  coreReport,
  formatSize,
  formatTime,
  mgmtReport,
  parseCoreBench,
} from '../.vitepress/lib/bench-report.js';
import { DIST_DIR, DOCS_ROOT } from './site.js';

const synthetic = {
  date: '2000-01-01T00:00:00.000Z',
  node: 'v0.0.0-synthetic',
  cpus: 1,
  loadavg: [0, 0, 0],
  sizes: [64, 1048576],
  results: [
    {
      transport: 'c',
      name: 'C baseline',
      size: 64,
      medianNs: 1000,
      throughputMiBs: 1,
      ratioToC: 1,
    },
    {
      transport: 'x',
      name: 'Transport <X>',
      size: 64,
      medianNs: 3000,
      throughputMiBs: 0.5,
      ratioToC: 3,
    },
    {
      transport: 'c',
      name: 'C baseline',
      size: 1048576,
      medianNs: 2_000_000,
      throughputMiBs: 500,
      ratioToC: 1,
    },
    {
      transport: 'x',
      name: 'Transport <X>',
      size: 1048576,
      medianNs: 3_000_000,
      throughputMiBs: 333,
      ratioToC: 1.5,
    },
  ],
};

describe('bench report renderer', () => {
  it('formats sizes and times', () => {
    expect(formatSize(64)).toBe('64 B');
    expect(formatSize(4096)).toBe('4 KiB');
    expect(formatSize(16 << 20)).toBe('16 MiB');
    expect(formatTime(21832.7)).toBe('21.8 µs');
    expect(formatTime(2_000_000)).toBe('2.00 ms');
  });

  it('builds the latency table from the results, one row per transport, one column per size', () => {
    const report = coreReport(synthetic);
    const latency = report.tables[0]!.table;
    expect(latency.head).toEqual(['transport', '64 B', '1 MiB']);
    expect(latency.rows).toEqual([
      ['C baseline', '1.0 µs (1.00x)', '2.00 ms (1.00x)'],
      ['Transport <X>', '3.0 µs (3.00x)', '3.00 ms (1.50x)'],
    ]);
    expect(report.facts.join('; ')).toContain('v0.0.0-synthetic');
  });

  it('charts four series: the default, the fastest opt-in, Node IPC and C', () => {
    const result = (transport: string, name: string, size: number, ratioToC: number) => ({
      transport,
      name,
      size,
      medianNs: 1000 * ratioToC * (size === 64 ? 1 : 100),
      throughputMiBs: 1,
      ratioToC,
    });
    const rows: Array<[string, string, number, number]> = [
      ['c', 'C socketpair (baseline)', 1, 1],
      ['framed-1', 'umd framed, maxInFlight 1', 2, 1.5],
      ['raw', 'umd raw', 1.8, 1.4],
      ['framed-16', 'umd framed, maxInFlight <16>', 0.5, 0.9],
      // Faster at one size only, missing at the other: not a candidate.
      ['partial', 'umd partial', 0.1, 0],
      ['ipc-advanced', 'fork IPC, advanced', 3, 2],
      ['ipc-json', 'fork IPC, json', 4, 3],
    ];
    const file = parseCoreBench({
      sizes: [64, 1048576],
      results: rows.flatMap(([transport, name, small, large]) => [
        result(transport, name, 64, small),
        ...(large > 0 ? [result(transport, name, 1048576, large)] : []),
      ]),
    });
    expect(chartSeries(file)).toEqual([
      { transport: 'framed-1', label: 'umd default (framed, one request at a time)' },
      { transport: 'framed-16', label: 'umd fastest opt-in (framed, maxInFlight <16>)' },
      { transport: 'ipc-json', label: "Node's IPC (fork IPC, json)" },
      { transport: 'c', label: 'C socketpair (the limit)' },
    ]);
    const html = coreReport({ ...synthetic, ...file }).chartHtml!;
    expect(html.startsWith('<svg')).toBe(true);
    // One bar per series and size, four legend entries, names escaped.
    expect(html.match(/<rect [^>]*><title>/g)).toHaveLength(8);
    expect(html.match(/<li>/g)).toHaveLength(4);
    expect(html).toContain('maxInFlight &lt;16&gt;');
    expect(html).not.toContain('<16>');
    // Colours come from the theme's CSS, never written into the drawing.
    expect(html).not.toMatch(/fill="#|stroke="#|background/);
  });

  it('draws nothing without a measured series', () => {
    expect(coreChartHtml({ ...parseCoreBench(synthetic), results: [] })).toBeUndefined();
    expect(coreReport(synthetic).chartHtml).toContain('C socketpair (the limit)');
  });

  it('refuses a malformed file with a reason', () => {
    expect(() =>
      parseCoreBench({
        sizes: [],
        results: [{ transport: 'c', name: 'C', size: 64, medianNs: 'fast' }],
      }),
    ).toThrow(/medianNs/);
    expect(() => parseCoreBench([])).toThrow(/results/);
  });

  it('shows the manager file: round trip against the bare channel, and cold starts', () => {
    const report = mgmtReport({
      machine: { node: 'v0.0.0-synthetic', cpus: 1, date: '2000-01-01T00:00:00.000Z' },
      roundTrip64B: {
        bareChannelUs: 10,
        managerUs: 11,
        ratio: 1.1,
        target: '<= 1.10',
        hostCpuUs: { bareChannel: 5, manager: 6 },
      },
      coldStart: {
        nodeE0Ms: 50,
        jsHandlerMs: 60,
        jsRatio: 1.2,
        jsTarget: '<= 1.3',
        nativeHandlerMs: 4,
        nativeTarget: '< 5 ms',
        runs: 3,
      },
    });
    expect(report.facts.join('; ')).toContain('v0.0.0-synthetic');
    expect(report.tables[0]!.table.rows).toEqual([
      ['median round trip', '10.0 µs', '11.0 µs', '1.10x', '<= 1.10'],
      ['host CPU time per request', '5.0 µs', '6.0 µs', '1.20x', ''],
    ]);
    expect(report.tables[1]!.title).toBe('Cold start (median of 3 runs)');
    expect(report.tables[1]!.table.rows.map((r) => r[1])).toEqual(['50.0 ms', '60.0 ms', '4.0 ms']);
  });

  it('shows the bench paired CPU ratio and its target where the file has them', () => {
    const report = mgmtReport({
      roundTrip64B: {
        bareChannelUs: 10,
        managerUs: 11,
        ratio: 1.1,
        hostCpuUs: { bareChannel: 5, manager: 6, ratio: 1.04, target: '<= 1.10' },
      },
    });
    expect(report.tables[0]!.table.rows[1]).toEqual([
      'host CPU time per request',
      '5.0 µs',
      '6.0 µs',
      '1.04x',
      '<= 1.10',
    ]);
  });

  it('shows the cold-start variants and the large round trips with their ratio to C', () => {
    const report = mgmtReport({
      coldStart: {
        nodeE0Ms: 50,
        jsHandlerMs: 60,
        jsRatio: 1.2,
        nativeHandlerMs: 4,
        nativeHandlerReplySocketMs: 3.5,
        nativeBareSpawnFirstReplyMs: 2,
      },
      largeRoundTrips: {
        '1 MiB': { cUs: 400, managerDefaultUs: 600, managerIntoUs: 420, target: '<= 1.5 (of C)' },
      },
    });
    expect(report.tables[0]!.table.rows.map((r) => r[1])).toEqual([
      '50.0 ms',
      '60.0 ms',
      '4.0 ms',
      '3.5 ms',
      '2.0 ms',
    ]);
    expect(report.tables[1]!.table.rows).toEqual([
      ['1 MiB, C socketpair (baseline)', '400.0 µs', '1.00x', ''],
      ['1 MiB, UmdManager.request() (defaults)', '600.0 µs', '1.50x', '<= 1.5 (of C)'],
      ['1 MiB, UmdManager.request() with replyInto', '420.0 µs', '1.05x', '<= 1.5 (of C)'],
    ]);
    expect(() => mgmtReport({ largeRoundTrips: { '1 MiB': { cUs: 'x' } } })).toThrow(/cUs/);
  });

  it('shows an unknown manager file as its numeric fields, never invented ones', () => {
    const report = mgmtReport({ machine: { node: 'v1' }, other: { fooMs: 1.5, n: 3 } });
    expect(report.tables[0]!.table.rows).toEqual([
      ['machine.node', 'v1'],
      ['other.fooMs', '1.500'],
      ['other.n', '3'],
    ]);
    expect(() => mgmtReport({ roundTrip64B: { bareChannelUs: 'x' } })).toThrow(/bareChannelUs/);
  });
});

describe('the built performance page', () => {
  const page = join(DIST_DIR, 'guide', 'performance.html');
  const html = existsSync(page) ? readFileSync(page, 'utf8') : '';

  for (const [name, render] of [
    ['core.json', coreReport],
    ['mgmt.json', mgmtReport],
  ] as const) {
    const file = join(DOCS_ROOT, 'data', name);
    if (existsSync(file)) {
      it(`shows the numbers of data/${name}`, () => {
        const report = render(JSON.parse(readFileSync(file, 'utf8')));
        const cells = report.tables.flatMap((t) => t.table.rows.flat()).filter((c) => c !== '');
        expect(cells.length).toBeGreaterThan(0);
        const escapeHtml = (text: string) =>
          text
            .replace(/&/g, '&amp;')
            .replace(/</g, '&lt;')
            .replace(/>/g, '&gt;')
            .replace(/"/g, '&quot;')
            .replace(/'/g, '&#39;');
        for (const cell of cells) expect(html).toContain(escapeHtml(cell));
      });
    } else {
      it(`says "not measured yet" for data/${name} (absent) and shows no invented numbers`, () => {
        expect(html).toContain(`No <code>data/${name}</code> in this build`);
      });
    }
  }
});
