// @umd/mgmt's bench (data/mgmt.json): its tables, each number checked.
import { type BenchReport, factsOf, formatTime } from './bench-format.js';

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
