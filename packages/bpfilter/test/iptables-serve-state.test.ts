/**
 * `bpfilter serve --state FILE` as an init system runs it: iptables-legacy changes the tables
 * through `bpfilter exec` in a throwaway namespace, the service is stopped with SIGTERM (or
 * SIGINT) and started again on the same state file, and iptables-legacy-save prints the same
 * tables and counters. A damaged or foreign state file stops the start with a message, and so
 * does a state whose rules name an ipset (it holds the set's kernel index, not its name).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeTable } from '../src/model/index.js';
import { stateOf } from '../src/sockopt/kept-state.js';
import {
  CLI,
  ipt,
  missingPrerequisite,
  type NamespaceRun,
  runInNamespace,
  startService,
  type Step,
  withoutSaveComments,
} from './iptables/namespace.js';

const missing = missingPrerequisite();
const SAVE: Step = { program: 'save', args: ['-c'] };

/** Changes in three tables, a user chain, a policy, and a restore --noflush of `rules`. */
const changes = (rules: string): Step[] => [
  ipt('-A', 'INPUT', '-s', '10.1.0.0/16', '-p', 'tcp', '--dport', '22', '-j', 'DROP'),
  ipt('-N', 'svc'),
  ipt('-A', 'svc', '-p', 'tcp', '--dport', '443', '-j', 'ACCEPT'),
  ipt('-A', 'INPUT', '-i', 'eth0', '-j', 'svc'),
  ipt('-t', 'raw', '-A', 'OUTPUT', '-p', 'udp', '--dport', '53', '-j', 'ACCEPT'),
  ipt('-t', 'mangle', '-A', 'PREROUTING', '-p', 'icmp', '-j', 'ACCEPT'),
  ipt('-P', 'FORWARD', 'DROP'),
  { program: 'restore', args: ['--noflush'], stdinFile: rules },
];

function saved(run: NamespaceRun): string {
  const last = run.results.at(-1)!;
  expect(last.status, last.stderr).toBe(0);
  return withoutSaveComments(last.stdout);
}

/** A state whose filter table holds `-m set --match-set <set 3> src -j ACCEPT` (revision 4). */
function setRuleState(): string {
  const data = new Uint8Array(48);
  data.set([3, 0, 1, 0]); // xt_set_info: index 3, one dimension
  const table = encodeTable({
    name: 'filter',
    chains: [
      {
        name: 'INPUT',
        policy: 'ACCEPT',
        rules: [
          {
            matches: [{ kind: 'raw', name: 'set', revision: 4, data }],
            target: { kind: 'verdict', verdict: 'ACCEPT' },
          },
        ],
      },
      { name: 'FORWARD', policy: 'ACCEPT', rules: [] },
      { name: 'OUTPUT', policy: 'ACCEPT', rules: [] },
    ],
  });
  return JSON.stringify(stateOf(['filter'], [{ info: table, entries: table.entries }]));
}

/** Runs the CLI (no namespace needed: nothing here touches a firewall). */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe.skipIf(missing !== undefined)(
  `bpfilter serve --state keeps the tables across restarts${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let dir: string;
    let stateFile: string;
    let CHANGES: Step[];
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'bpfilter-state-'));
      stateFile = join(dir, 'tables.json');
      const rules = join(dir, 'more.rules');
      writeFileSync(rules, '*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT\n');
      CHANGES = changes(rules);
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('SIGTERM: exit 0, socket removed; started again, iptables-save prints the same tables', {
      timeout: 120_000,
    }, async () => {
      const first = await startService({ args: ['--state', stateFile] });
      const run = await runInNamespace([...CHANGES, SAVE], { socketPath: first.socketPath });
      expect(run.results.map((r) => [r.status, r.stderr])).toEqual(run.results.map(() => [0, '']));
      expect(run.kernelSave).toBe('');
      // Counters too: a classification counts, and the count is flushed at the stop.
      const classified = await cli([
        'classify',
        '--socket',
        first.socketPath,
        '--hook',
        'INPUT',
        '--src',
        '10.1.2.3',
        '--dst',
        '192.0.2.1',
        '--proto',
        'tcp',
        '--dport',
        '22',
        '--length',
        '60',
      ]);
      expect(classified.stdout).toContain('verdict: DROP');
      const before = await runInNamespace([SAVE], { socketPath: first.socketPath });
      expect(saved(before)).toContain('[1:60] -A INPUT -s 10.1.0.0/16');

      const stopped = await first.stop('SIGTERM');
      expect(stopped).toEqual({ code: 0, signal: null, socketLeft: false });
      expect(statSync(stateFile).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir).sort(), 'no temporary file left').toEqual([
        'more.rules',
        'tables.json',
      ]);

      const second = await startService({ args: ['--state', stateFile] });
      const after = await runInNamespace([SAVE], { socketPath: second.socketPath });
      expect(saved(after)).toBe(saved(before));
      expect(await second.stop('SIGINT')).toEqual({ code: 0, signal: null, socketLeft: false });
    });

    it('a change is on disk before iptables hears of it: SIGKILL of the service loses nothing', {
      timeout: 120_000,
    }, async () => {
      const first = await startService({ args: ['--state', stateFile] });
      const run = await runInNamespace([...CHANGES, SAVE], { socketPath: first.socketPath });
      expect(await first.stop('SIGKILL')).toMatchObject({ signal: 'SIGKILL' });
      const second = await startService({ args: ['--state', stateFile] });
      const after = await runInNamespace([SAVE], { socketPath: second.socketPath });
      expect(saved(after)).toBe(saved(run));
      await second.stop();
    });

    it('a damaged or foreign state file is an error at start, never an empty firewall', {
      timeout: 120_000,
    }, async () => {
      const cases: [string, string, RegExp][] = [
        ['empty', '', /damaged/],
        ['truncated', '{"version":1,"tablesInUse":["filter"],"tab', /damaged/],
        ['foreign JSON', '{"rules":["-A INPUT -j DROP"]}', /not a version-1 BpfilterState/],
        ['a list', '[1,2,3]', /does not hold a bpfilter state/],
        [
          'a table whose bytes do not match its header',
          JSON.stringify({
            version: 1,
            tablesInUse: ['filter'],
            tables: [{ name: 'filter', info: '00', entries: 'ff' }],
          }),
          /state of table "filter" is not valid/,
        ],
        [
          'a table whose rule names an ipset by its kernel index',
          setRuleState(),
          /state of table "filter" is refused: .* ipset set index 3.* iptables-restore/,
        ],
      ];
      for (const [what, content, message] of cases) {
        writeFileSync(stateFile, content);
        const socketPath = join(dir, 's.sock');
        const result = await cli(['serve', '--socket', socketPath, '--state', stateFile]);
        expect([what, result.code], result.stderr).toEqual([what, 1]);
        expect(result.stderr).toMatch(message);
        expect(readFileSync(stateFile, 'utf8'), 'the file is left as it was').toBe(content);
        expect(readdirSync(dir)).not.toContain('s.sock');
      }
    });
  },
);
