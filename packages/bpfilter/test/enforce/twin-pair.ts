/**
 * The two twins of a packet parity test (the kernel's legacy tables, and bpfilter
 * enforcing), made before the file's tests and destroyed after them, and the steps those
 * tests share: restore the same rules into both, observe each, count echo replies.
 */
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Probe } from './scenario-parts.js';
import { EMPTY_TABLES } from './save-tables.js';
import { Twin, waitFor } from './twins.js';

// The parity tests take the table builders from here, beside the twins.
export {
  EMPTY_TABLES,
  filterTable,
  mangleTable,
  natTable,
  rawTable,
} from './save-tables.js';

/** The sequence numbers of the echo requests from C answered in a run of `count` pings. */
export async function answered(twin: Twin, args: string[], count: number): Promise<number[]> {
  const out = await twin.run('C', [
    'ping',
    '-n',
    '-c',
    String(count),
    '-i',
    '0.1',
    '-W',
    '1',
    ...args,
  ]);
  return [...out.stdout.matchAll(/icmp_seq=(\d+)/g)].map((m) => Number(m[1]));
}

/** The filter table's rules with their counters (`iptables-save -c`). */
export async function counted(twin: Twin): Promise<string[]> {
  const out = await twin.iptables('iptables-legacy-save', ['-c', '-t', 'filter']);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.split('\n').filter((line) => / -A |^:/.test(line));
}

/** Table `name`'s rules with their counters (`iptables-save -c -t NAME`), no chain lines. */
export async function savedRules(twin: Twin, name: string): Promise<string[]> {
  const out = await twin.iptables('iptables-legacy-save', ['-c', '-t', name]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout.split('\n').filter((line) => / -A /.test(line));
}

/**
 * Probe `p` from its namespace of `twin`, waiting `ms` for an answer (by default as long as
 * its expected outcome needs).
 */
export function probe(twin: Twin, p: Probe, ms = waitFor(p.expect)): Promise<string> {
  if (p.kind === 'ping') return twin.ping(p.from, p.host, ms);
  return twin.probe(p.from, p.kind, p.host, p.port ?? 0, ms, p.sport);
}

/** iptables-save -c (of `table`, or all) without its dated comment lines. */
export async function saved(twin: Twin, table?: string): Promise<string> {
  const out = await twin.iptables('iptables-legacy-save', ['-c', ...(table ? ['-t', table] : [])]);
  expect(out.code, out.stderr).toBe(0);
  return out.stdout
    .split('\n')
    .filter((line) => !line.startsWith('#'))
    .join('\n');
}

/**
 * Registers the twins' creation and destruction around the calling file's tests, and before
 * each test empties their connection tables.
 */
export function twinPair() {
  let twins: Twin[] = [];
  beforeAll(async () => {
    twins = await Promise.all([Twin.create('kernel'), Twin.create('bpfilter')]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(twins.map((twin) => twin.destroy()));
  });
  // Each test meets only its own connections.
  beforeEach(async () => {
    await Promise.all(twins.map((twin) => twin.forgetConnections()));
  });
  /** Restores `rules` into both twins, then runs `observe` on each, side by side. */
  async function both<T>(rules: string, observe: (twin: Twin) => Promise<T>): Promise<T[]> {
    const restored = await Promise.all(twins.map((twin) => twin.restore(rules)));
    for (const [i, out] of restored.entries())
      expect(out.code, `${out.stderr}\n${twins[i]!.serviceLog}`).toBe(0);
    return Promise.all(twins.map(observe));
  }
  /** As {@link both}, then every table of both twins emptied (also when `observe` throws). */
  async function bothThenEmpty<T>(
    rules: string,
    observe: (twin: Twin) => Promise<T>,
  ): Promise<T[]> {
    try {
      return await both(rules, observe);
    } finally {
      await both(EMPTY_TABLES, async () => {});
    }
  }
  /** What the kernel's twin observed, once bpfilter's is seen to have observed the same. */
  function alike<T>([kernel, enforced]: T[]): T {
    expect(enforced).toEqual(kernel);
    return kernel!;
  }
  return {
    /** The kernel's twin, then bpfilter's. */
    get twins(): Twin[] {
      return twins;
    },
    both,
    bothThenEmpty,
    /** As {@link both}; bpfilter's twin must observe what the kernel's does: returns that. */
    bothAlike: async <T>(rules: string, observe: (twin: Twin) => Promise<T>): Promise<T> =>
      alike(await both(rules, observe)),
    /** As {@link bothThenEmpty}; bpfilter's twin must observe what the kernel's does: returns that. */
    bothAlikeThenEmpty: async <T>(rules: string, observe: (twin: Twin) => Promise<T>): Promise<T> =>
      alike(await bothThenEmpty(rules, observe)),
  };
}
