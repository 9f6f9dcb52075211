#!/usr/bin/env node
// A table that goes away at a start lets go of its ipsets at once; run it inside `unshare -n`
// only. Each round: a service (`serve --enforce`) gets rules naming two sets through
// `bpfilter exec -- iptables-legacy` and closes (the kernel keeps its bpfilter_filter); a new
// front end of the API starts enforcing with no tables of its own, which drops that table;
// the moment its start resolves, both sets are destroyed. Prints how many rounds passed;
// exits 1 at the first destroy the kernel refuses.
// Usage: node ipset-start-release.mjs ROUNDS CLI
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Bpfilter, serve } from '@umd/bpfilter';

const run = promisify(execFile);
const [rounds, cli] = process.argv.slice(2);
const dir = mkdtempSync(join(tmpdir(), 'bpfilter-ipset-start-'));
const socketPath = join(dir, 'bpfilter.sock');
const rules = [
  ['-A', 'INPUT', '-m', 'set', '--match-set', 'kept', 'src', '-j', 'DROP'],
  ['-A', 'INPUT', '-p', 'tcp', '-j', 'SET', '--add-set', 'added', 'src'],
];
try {
  for (let round = 1; round <= Number(rounds); round++) {
    for (const set of ['kept', 'added']) await run('ipset', ['create', set, 'hash:ip']);
    const service = await serve({ socketPath, enforce: true, warmUp: false });
    for (const rule of rules)
      await run(process.execPath, [
        cli,
        'exec',
        '--socket',
        socketPath,
        '--',
        'iptables-legacy',
        ...rule,
      ]);
    await service.close();
    const next = new Bpfilter({ enforce: true });
    await next.sockopt.startEnforcement();
    try {
      for (const set of ['kept', 'added']) await run('ipset', ['destroy', set]);
    } catch (error) {
      process.stderr.write(`round ${round}: ${error.stderr}`);
      process.exit(1);
    }
    await next.stop();
  }
  process.stdout.write(`${rounds} rounds`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
