import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { encodeTable } from '../model/encode.js';
import type { Rule } from '../model/types.js';
import { warmUpTable } from '../model/warm-up-table.js';
import { parseSave } from '../text/parse-save.js';
import { compileTable, layoutEnforced, type TableEntries } from './compile-table.js';
import { EnforcementError } from './errors.js';
import { TableCompiler } from './table-compiler.js';

// The built worker (the package's build makes it); the tests from sources use it as the
// service does.
const WORKER = fileURLToPath(new URL('../../dist/enforce-compile-worker.js', import.meta.url));
const built = existsSync(WORKER);
if (!built && process.env.CI === 'true') throw new Error(`no ${WORKER}: build the package first`);

function table(text: string, extra: Rule[] = []): TableEntries {
  const [parsed] = parseSave(text);
  const chains = parsed!.chains.map((c) =>
    c.name === 'INPUT' ? { ...c, rules: [...c.rules, ...extra] } : c,
  );
  const encoded = encodeTable({ name: parsed!.name, chains });
  return { name: encoded.name, layout: encoded, entries: encoded.entries };
}

const rules = (...lines: string[]) =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
const MANY = rules(
  ...Array.from(
    { length: 40 },
    (_, i) => `-A INPUT -s 10.0.${i}.1/32 -p tcp -m tcp --dport ${i + 1} -j DROP`,
  ),
  '-A INPUT -i eth0 -p udp -m udp --dport 53 -j ACCEPT',
);

describe.skipIf(!built)('the compile worker', () => {
  it('compiles what the caller thread compiles: the same batch and plan, or the same nft JSON', async () => {
    const compiler = new TableCompiler(WORKER);
    try {
      for (const netlink of [true, false]) {
        const input = { ...table(MANY), netlink };
        expect(await compiler.compile(input)).toEqual(compileTable(input));
      }
    } finally {
      compiler.close();
    }
  });

  it('refuses as the caller thread does: EnforcementError by extension, or an Error for a non-table', async () => {
    const compiler = new TableCompiler(WORKER);
    try {
      // xt_CHECKSUM runs only in a table named mangle (nft_compat cannot run it here).
      const checksum: Rule = {
        target: {
          kind: 'raw',
          name: 'CHECKSUM',
          revision: 0,
          data: new Uint8Array(8).fill(1, 0, 1),
        },
      };
      const untranslatable = { ...table(rules(), [checksum]), netlink: true };
      const refused = await compiler.compile(untranslatable).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(EnforcementError);
      expect(refused).toMatchObject({ failure: 'untranslatable', extension: '-j CHECKSUM' });
      const garbage = { ...table(MANY), entries: new Uint8Array(300).fill(7), netlink: true };
      await expect(compiler.compile(garbage)).rejects.toThrow(Error);
    } finally {
      compiler.close();
    }
  });

  it('answers a table sent while it warms up as the caller thread compiles it', async () => {
    const compiler = new TableCompiler(WORKER);
    try {
      compiler.start();
      const input = { ...table(MANY), netlink: true };
      expect(await compiler.compile(input)).toEqual(compileTable(input));
    } finally {
      compiler.close();
    }
  });

  it('compiles on the caller thread what a stopped worker still owed', async () => {
    const compiler = new TableCompiler(WORKER);
    const input = { ...table(MANY), netlink: true };
    const owed = compiler.compile(input);
    compiler.close();
    expect(await owed).toEqual(compileTable(input));
    // The next compile starts another worker.
    expect(await compiler.compile(input)).toEqual(compileTable(input));
    compiler.close();
  });

  it('takes given entries without a copy; a stopped worker fails them instead of compiling nothing', async () => {
    const compiler = new TableCompiler(WORKER);
    try {
      const input = { ...table(MANY), netlink: true };
      const expected = compileTable(input);
      const given = { ...input, entries: new Uint8Array(input.entries) };
      const compiled = compiler.compile(given, true);
      // Moved into the worker: this thread's view of them is empty.
      expect(given.entries.byteLength).toBe(0);
      expect(await compiled).toEqual(expected);
      // A view of a larger buffer cannot be moved: it is copied, and stays the caller's.
      const view = new Uint8Array(input.entries.length + 8).subarray(8);
      view.set(input.entries);
      expect(await compiler.compile({ ...input, entries: view }, true)).toEqual(expected);
      expect(view.byteLength).toBe(input.entries.length);
      const owed = compiler.compile({ ...input, entries: new Uint8Array(input.entries) }, true);
      compiler.close();
      await expect(owed).rejects.toThrow('the compile worker stopped');
    } finally {
      compiler.close();
    }
  });

  it("writes the next batch into a recycled batch's memory, zeroed: the same bytes as fresh", async () => {
    const compiler = new TableCompiler(WORKER);
    try {
      // Entries past 32 KB: a batch memory larger than a small table's fresh 64 KiB.
      const lines = Array.from(
        { length: 300 },
        (_, i) => `-A INPUT -s 10.1.${i % 250}.${i >> 3}/32 -p tcp --dport ${i + 1} -j DROP`,
      );
      const large = { ...table(rules(...lines)), netlink: true };
      const small = { ...table(rules('-A INPUT -p icmp -j ACCEPT')), netlink: true };
      const first = await compiler.compile(large);
      const bytes = first.batch!.bytes;
      const memory = bytes.buffer.byteLength;
      compiler.recycle(bytes);
      // Moved back into the worker: this thread's view of it is empty.
      expect(bytes.byteLength).toBe(0);
      const next = await compiler.compile(small);
      expect(memory).toBeGreaterThan(1 << 16);
      expect(next.batch!.bytes.buffer.byteLength).toBe(memory);
      expect(next).toEqual(compileTable(small));
    } finally {
      compiler.close();
    }
  });
});

describe('the warm-up table', () => {
  it('takes the paths of a large table: netlink messages, verdict maps, segments, single rules', () => {
    const encoded = warmUpTable();
    const input = { name: encoded.name, layout: encoded, entries: encoded.entries };
    expect(compileTable({ ...input, netlink: true }).batch).toBeDefined();
    const kinds = new Set(layoutEnforced(input).chains.flatMap((c) => c.items.map((i) => i.kind)));
    expect([...kinds].sort()).toEqual(['map', 'rule', 'segment']);
  });
});

describe('the table compiler without a worker', () => {
  it('compiles on the caller thread', async () => {
    const compiler = new TableCompiler(false);
    const input = { ...table(MANY), netlink: true };
    expect(await compiler.compile(input)).toEqual(compileTable(input));
  });
});
