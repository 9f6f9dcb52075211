#!/usr/bin/env node
// Enforcement beside the kernel's legacy tables, in the same run, in throwaway network
// namespaces (root; `unshare -n`), with Debian's iptables-legacy-restore, nft and ping:
// 1. apply: iptables-legacy-restore of an N-rule filter table into the kernel's legacy
//    tables, vs the same program with the preload into `bpfilter serve --enforce` (SET_REPLACE
//    through the service and handler, then one nft transaction), vs `nft -j -f` of the
//    translated table alone. The rounds start once the service has run its own warm-up;
//    median of `runs`, rounds interleaved, after `warmup` rounds of each (the service, its
//    compile worker and the handler are JIT-compiled code that a long running service has
//    warmed up; the first round, the service's first apply, is printed too).
// 2. per packet: `ping -f` on 127.0.0.1 through the N-rule INPUT chain (no rule matches, so
//    every packet walks every rule to the policy), legacy vs enforced, beside a namespace
//    without rules; the cost of the table is (time - baseline) / packets. Then the same with
//    one more rule at the end that accepts the pings: legacy walks every entry to it, the
//    enforced chain its worst case (every segment's guards, then the last segment's rules).
// Usage: node bench/enforce.mjs [rules=5000] [runs=5] [packets=20000] [warmup=2]
// With NODE_DEBUG=bpfilter, also the service's steps of the last enforced restore as a timeline,
// each step's median start and end over the measured restores, and what the kernel's commit
// waited for in each (the step of those it needs that ended last).
// BENCH_TABLE picks the table (enforce/table.mjs), BENCH_CPU_PROF=DIR profiles the service.
// The parts, one job each, are in bench/enforce/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRounds } from './enforce/apply.mjs';
import { checkTables, inputLayout, lastSegmentRules } from './enforce/layout.mjs';
import { closeNamespaces, namespace } from './enforce/namespaces.mjs';
import { pingRounds } from './enforce/packets.mjs';
import { printReport } from './enforce/report.mjs';
import { killService, startService, stopService } from './enforce/service.mjs';
import { writeTables } from './enforce/table.mjs';
import { printCommitGate, printStepMedians, printTimeline } from './enforce/timeline.mjs';

const N = Number(process.argv[2] ?? 5000);
const RUNS = Number(process.argv[3] ?? 5);
const PACKETS = Number(process.argv[4] ?? 20000);
const WARMUP = Number(process.argv[5] ?? 2);
const PRELOAD = fileURLToPath(new URL('../dist/native/bpfilter_preload.so', import.meta.url));

const missing = ['nft', 'iptables-legacy-restore', 'ping', 'nsenter', 'taskset'].find(
  (p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0,
);
if (process.getuid?.() !== 0 || missing || !existsSync(PRELOAD)) {
  console.log(`enforcement bench skipped: needs root, the preload library and ${missing ?? 'nft'}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'bpfilter-bench-'));
// Whatever ends the bench (a throw included), the service, the namespace holders and the
// files go with it.
process.on('exit', () => {
  killService();
  closeNamespaces();
  rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
const tables = writeTables(dir, N);

const namespaces = {
  legacy: namespace(),
  enforced: namespace(),
  nftOnly: namespace(),
  baseline: namespace(),
};
const socketPath = join(dir, 'bpfilter.sock');
const trace = /\bbpfilter\b/i.test(process.env.NODE_DEBUG ?? '');
const service = await startService(namespaces.enforced, socketPath, trace);
const env = {
  preload: {
    ...process.env,
    LD_PRELOAD: PRELOAD,
    BPFILTER_SOCKET: socketPath,
    XTABLES_LOCKFILE: join(dir, 'lock'),
  },
  kernel: { ...process.env, XTABLES_LOCKFILE: join(dir, 'lock') },
};

const rounds = applyRounds({ tables, namespaces, service, env, warmup: WARMUP, runs: RUNS });
checkTables(namespaces, env.kernel, N);
const layout = inputLayout(namespaces.enforced);
const packet = pingRounds(namespaces, RUNS, PACKETS);
// Then the worst case for the enforced layout: a rule at the end that accepts the pings, so
// legacy walks every entry to it, and the enforced INPUT the guards of every segment and the
// rules of the last segment (the rule joins the run of address pairs and UDP ports).
const last = ['-A', 'INPUT', '-s', '127.0.0.1/32', '-d', '127.0.0.1/32', '-j', 'ACCEPT'];
namespaces.legacy.run(['iptables-legacy', ...last], { env: env.kernel });
namespaces.enforced.run(['iptables-legacy', ...last], { env: env.preload });
const lastRule = pingRounds(namespaces, RUNS, PACKETS);
const lastSegment = lastSegmentRules(namespaces.enforced);
await stopService(service);

if (trace && rounds.lastEnforced) {
  printTimeline(service.log(), rounds.lastEnforced);
  printStepMedians(service.log(), rounds.enforcedAt);
  printCommitGate(service.log(), rounds.enforcedAt);
}
printReport(
  { n: N, runs: RUNS, warmup: WARMUP, packets: PACKETS },
  { rounds, packet, lastRule, layout, lastSegment, warmedUp: service.warmedUp },
);
