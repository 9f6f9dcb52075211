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
// With NODE_DEBUG=bpfilter, also the service's steps of the last enforced restore as a timeline.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSave, planTable, replaceTransaction } from '@umd/bpfilter';
import { cpuSpent, treeCpu } from './process-cpu.mjs';

const N = Number(process.argv[2] ?? 5000);
const RUNS = Number(process.argv[3] ?? 5);
const PACKETS = Number(process.argv[4] ?? 20000);
const WARMUP = Number(process.argv[5] ?? 2);
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const PRELOAD = fileURLToPath(new URL('../dist/native/bpfilter_preload.so', import.meta.url));

const missing = ['nft', 'iptables-legacy-restore', 'ping', 'nsenter', 'taskset'].find(
  (p) => spawnSync('sh', ['-c', `command -v ${p}`]).status !== 0,
);
if (process.getuid?.() !== 0 || missing || !existsSync(PRELOAD)) {
  console.log(`enforcement bench skipped: needs root, the preload library and ${missing ?? 'nft'}`);
  process.exit(0);
}

/**
 * N rules no ICMP packet on lo matches: addresses, ports, interfaces, as real tables mix them.
 * `variant` shifts every port, so rounds alternate two tables and each applies a table that
 * differs from the one in force (nothing may skip work because the new table is the old one).
 * BENCH_TABLE=prefix makes it a blocklist of /24 prefixes instead (the same table each round),
 * BENCH_TABLE=prefixport a /24 and a port per rule, BENCH_TABLE=range an address and a range
 * of 2 to 65 ports per rule, BENCH_TABLE=reject fail2ban's bans (a REJECT per address).
 */
function rules(n, variant) {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  const kind = process.env.BENCH_TABLE ?? 'mixed';
  for (let i = 0; i < n; i++) {
    const a = `10.${(i >> 8) & 255}.${i & 255}.1`;
    const port = 1000 + variant + (i % 60000);
    const net = `10.${(i >> 8) & 255}.${i & 255}.0/24`;
    if (kind === 'prefix') lines.push(`-A INPUT -s ${net} -j DROP`);
    else if (kind === 'reject')
      lines.push(`-A INPUT -s ${a}/32 -j REJECT --reject-with icmp-port-unreachable`);
    else if (kind === 'prefixport')
      lines.push(`-A INPUT -s ${net} -p tcp -m tcp --dport ${port} -j DROP`);
    else if (kind === 'range')
      lines.push(
        `-A INPUT -s ${a}/32 -p tcp -m tcp --dport ${port}:${port + 1 + (i % 64)} -j DROP`,
      );
    else if (i % 5 === 0)
      lines.push(`-A INPUT -i eth${i % 8} -p udp -m udp --dport ${port} -j DROP`);
    else if (i % 7 === 0)
      lines.push(`-A INPUT -d 192.0.2.${(i + variant) % 256}/32 -s ${a}/32 -j ACCEPT`);
    else lines.push(`-A INPUT -s ${a}/32 -p tcp -m tcp --dport ${port} -j DROP`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

const dir = mkdtempSync(join(tmpdir(), 'bpfilter-bench-'));
const variants = [0, 1].map((variant) => {
  const rulesFile = join(dir, `rules-${variant}.txt`);
  const text = rules(N, variant);
  writeFileSync(rulesFile, text);
  const [parsed] = parseSave(text);
  const batchFile = join(dir, `batch-${variant}.json`);
  const plan = planTable({ name: 'filter', chains: parsed.chains });
  writeFileSync(batchFile, JSON.stringify(replaceTransaction([plan])));
  return { rulesFile, batchFile };
});

const holders = [];
let service;
// Whatever ends the bench (a throw included), the service, the namespace holders and the
// files go with it.
process.on('exit', () => {
  service?.kill('SIGKILL');
  for (const holder of holders) holder.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));
/** A namespace held open by a sleep; returns a runner of commands in it. */
function namespace() {
  const holder = spawn('unshare', ['-n', 'sleep', 'infinity'], { stdio: 'ignore' });
  // Killed on exit (above); a running holder must not keep the bench from ending.
  holder.unref();
  holders.push(holder);
  const pid = String(holder.pid);
  for (let i = 0; i < 100; i++) {
    const ns = spawnSync('readlink', [`/proc/${pid}/ns/net`]).stdout.toString();
    if (ns && ns !== spawnSync('readlink', ['/proc/self/ns/net']).stdout.toString()) break;
    spawnSync('sleep', ['0.02']);
  }
  const run = (argv, options = {}) =>
    execFileSync('nsenter', ['-t', pid, '-n', ...argv], { encoding: 'utf8', ...options });
  run(['ip', 'link', 'set', 'lo', 'up']);
  return { pid, run };
}

function timed(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const legacy = namespace();
const enforced = namespace();
const nftOnly = namespace();
const baseline = namespace();
const socketPath = join(dir, 'bpfilter.sock');
const profileDir = process.env.BENCH_CPU_PROF;
const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
service = spawn(
  'nsenter',
  // BENCH_CPU_PROF=DIR: a V8 CPU profile of the service, written into DIR when it stops.
  [
    '-t',
    enforced.pid,
    '-n',
    process.execPath,
    ...profileArgs,
    CLI,
    'serve',
    '--enforce',
    '--verbose',
    '--socket',
    socketPath,
  ],
  { stdio: ['ignore', 'ignore', 'pipe'] },
);
// NODE_DEBUG=bpfilter: the service's step times (src/sockopt/phase-log.ts) go to stderr, and
// the bench prints the last enforced restore's steps as a timeline from its start.
const trace = /\bbpfilter\b/i.test(process.env.NODE_DEBUG ?? '');
let log = '';
const warmedUp = await new Promise((resolve, reject) => {
  service.stderr.on('data', (chunk) => {
    if (trace) process.stderr.write(chunk);
    log += chunk;
    // The rounds start once the service has warmed up (its own warm-up, while it listens), as
    // an administrator's first restore a second after the start would find it.
    const warm = /bpfilter serve: (warmed up|warm-up failed)[^\n]*/.exec(log);
    if (warm) resolve(warm[0]);
  });
  service.once('exit', (code) => reject(new Error(`serve exited ${code}: ${log}`)));
});
const preloadEnv = {
  ...process.env,
  LD_PRELOAD: PRELOAD,
  BPFILTER_SOCKET: socketPath,
  XTABLES_LOCKFILE: join(dir, 'lock'),
};
const kernelEnv = { ...process.env, XTABLES_LOCKFILE: join(dir, 'lock') };
const restore = (ns, env, file) =>
  ns.run(['sh', '-c', `iptables-legacy-restore < ${file}`], { env });

// Where an enforced restore's CPU goes: the service's main thread, its other threads (the
// compile worker, V8's collector), the handler, the two helpers.
const servicePart = (cmdline, isMain) =>
  /bpfilter_nft_batch/.test(cmdline)
    ? 'batch helper'
    : /bpfilter_nft_counters/.test(cmdline)
      ? 'counters helper'
      : / serve --enforce /.test(cmdline)
        ? isMain
          ? 'service: main thread'
          : 'service: other threads (compile worker, GC)'
        : 'handler';
const cpu = [];
const apply = { legacy: [], enforced: [], nft: [] };
let lastEnforced;
// Every round applies the other table than the one before it, warm-up rounds included.
for (let round = 0; round < WARMUP + RUNS; round++) {
  const { rulesFile, batchFile } = variants[round % 2];
  apply.legacy.push(timed(() => restore(legacy, kernelEnv, rulesFile)));
  const before = treeCpu(service.pid, servicePart);
  // On the service's clock (its step times are ms since the epoch too).
  lastEnforced = { from: performance.timeOrigin + performance.now() };
  apply.enforced.push(timed(() => restore(enforced, preloadEnv, rulesFile)));
  lastEnforced.to = performance.timeOrigin + performance.now();
  cpu.push(cpuSpent(before, treeCpu(service.pid, servicePart)));
  apply.nft.push(timed(() => nftOnly.run(['nft', '-j', '-f', batchFile])));
}
const cold = { legacy: apply.legacy[0], enforced: apply.enforced[0] };
const roundsCpu = [...cpu];
for (const list of [...Object.values(apply), cpu]) list.splice(0, WARMUP);
// The tables hold what was applied: N rules each, in nft one counter per rule (in a rule or
// a verdict-map element) and per policy.
const legacyCount = legacy
  .run(['sh', '-c', 'iptables-legacy-save | grep -c "^-A"'], { env: kernelEnv })
  .trim();
const nftCount = enforced
  .run(['sh', '-c', 'nft list table ip bpfilter_filter | grep -o "counter packets" | wc -l'])
  .trim();
if (Number(legacyCount) !== N || Number(nftCount) !== N + 3)
  throw new Error(`tables not as applied: legacy ${legacyCount} rules, nft ${nftCount} counters`);
// What a packet no rule matches walks: INPUT's own rules (verdict-map lookups, segment
// guards, rules); the rules of segments it does not enter are not walked.
const rulesOf = (listing) => listing.split('\n').filter((l) => /^\t\t(?!type )\S/.test(l)).length;
const nftInput = enforced.run(['nft', 'list', 'chain', 'ip', 'bpfilter_filter', 'INPUT']);
const lookups = (nftInput.match(/ vmap @/g) ?? []).length;
const guards = (nftInput.match(/ jump bpfilter-keyed-rule-segment-/g) ?? []).length;
const nftRules = rulesOf(nftInput);
const segments = enforced
  .run(['nft', 'list', 'table', 'ip', 'bpfilter_filter'])
  .split('\n\tchain ')
  .filter((chain) => chain.startsWith('bpfilter-keyed-rule-segment-'));
const segmented = segments.reduce((sum, chain) => sum + rulesOf(chain), 0);

// On lo, a packet's whole way (both INPUT walks) runs in ping's own system calls, on its CPU:
// every ping runs on the same CPU, so no twin is measured on a CPU the other was not.
function pingMs(ns) {
  const ping = ['ping', '-f', '-q', '-c', String(PACKETS), '127.0.0.1'];
  const out = ns.run(['taskset', '-c', '0', ...ping]);
  const match = / time (\d+)ms/.exec(out);
  if (!match) throw new Error(`ping said: ${out}`);
  return Number(match[1]);
}
/** `RUNS` rounds of ping through no table, the legacy table and the enforced one. */
function pingRounds() {
  const times = { baseline: [], legacy: [], enforced: [] };
  for (let round = 0; round < RUNS; round++) {
    times.baseline.push(pingMs(baseline));
    times.legacy.push(pingMs(legacy));
    times.enforced.push(pingMs(enforced));
  }
  return times;
}
const packet = pingRounds();
// Then the worst case for the enforced layout: a rule at the end that accepts the pings, so
// legacy walks every entry to it, and the enforced INPUT the guards of every segment and the
// rules of the last segment (the rule joins the run of address pairs and UDP ports).
const last = ['-A', 'INPUT', '-s', '127.0.0.1/32', '-d', '127.0.0.1/32', '-j', 'ACCEPT'];
legacy.run(['iptables-legacy', ...last], { env: kernelEnv });
enforced.run(['iptables-legacy', ...last], { env: preloadEnv });
const lastRule = pingRounds();
const lastSegment = enforced
  .run(['nft', 'list', 'table', 'ip', 'bpfilter_filter'])
  .split('\n\tchain ')
  .find((chain) => chain.startsWith('bpfilter-keyed-rule-segment-') && chain.includes('127.0.0.1'));

service.kill('SIGTERM');
await new Promise((resolve) => service.once('exit', resolve));
service = undefined;

if (trace) {
  // Each step of the service from its start and end, in ms from the restore's start (the
  // steps of one request nest: a request's own line spans the steps it waited for).
  const { from, to } = lastEnforced;
  const steps = [...log.matchAll(/BPFILTER \d+: (.+) ([\d.]+) ms at ([\d.]+)/g)]
    .map(([, step, ms, at]) => ({ step, start: Number(at) - from, ms: Number(ms) }))
    .filter(({ start }) => start >= 0 && start < to - from)
    .sort((a, b) => a.start - b.start);
  console.log(
    `\nthe last enforced restore (${(to - from).toFixed(1)} ms), its steps in the service:`,
  );
  for (const { step, start, ms } of steps)
    console.log(
      `${start.toFixed(1).padStart(8)} to ${(start + ms).toFixed(1).padStart(6)} ms  ${step}`,
    );
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `\nenforcement: ${N}-rule filter table, ${RUNS} interleaved rounds after ${WARMUP} warm-up rounds, medians`,
);
console.table({
  'apply: iptables-legacy-restore into the kernel (legacy)': {
    ms: median(apply.legacy).toFixed(1),
  },
  'apply: iptables-legacy-restore into bpfilter --enforce': {
    ms: median(apply.enforced).toFixed(1),
  },
  'apply: nft -j -f of the translated table alone': { ms: median(apply.nft).toFixed(1) },
});
// Each echo crosses INPUT twice (request and reply, both on lo).
const perPacket = (times, ms) => ((median(ms) - median(times.baseline)) * 1000) / (PACKETS * 2);
for (const [times, what] of [
  [packet, 'no rule matches'],
  [lastRule, `the last rule (${N + 1}) accepts`],
]) {
  console.table({
    [`ping -f x${PACKETS}, no rules`]: { ms: median(times.baseline), 'µs per INPUT walk': '-' },
    [`ping -f x${PACKETS}, legacy table, ${what}`]: {
      ms: median(times.legacy),
      'µs per INPUT walk': perPacket(times, times.legacy).toFixed(2),
    },
    [`ping -f x${PACKETS}, enforced table, ${what}`]: {
      ms: median(times.enforced),
      'µs per INPUT walk': perPacket(times, times.enforced).toFixed(2),
    },
  });
}
console.log(
  `enforced INPUT: ${nftRules} nft rules for ${N} iptables rules (${lookups} verdict-map lookups, ${guards} segment guards); ${segmented} rules in ${segments.length} segments; the last rule in a segment of ${lastSegment ? rulesOf(lastSegment) : 0} rules`,
);
// Per round (the rounds interleave, so a busy moment hits all three of a round alike).
const walks = (times, ms, i) => ((ms[i] - times.baseline[i]) * 1000) / (PACKETS * 2);
const byRound = (times) =>
  times.legacy.map((_, i) => walks(times, times.enforced, i) / walks(times, times.legacy, i));
for (const [times, what] of [
  [packet, 'no rule matches'],
  [lastRule, 'the last rule accepts'],
]) {
  const rounds = byRound(times);
  console.log(
    `per packet (${what}), enforced / legacy by round: ${rounds.map((r) => r.toFixed(2)).join(' ')} (max ${Math.max(...rounds).toFixed(2)})`,
  );
}
console.log(warmedUp);
console.log(
  `apply, first round (the service's first apply): legacy ${cold.legacy.toFixed(1)} ms, enforced ${cold.enforced.toFixed(1)} ms`,
);
const applyRounds = apply.legacy.map((l, i) => apply.enforced[i] / l);
console.log(`apply, enforced / legacy by round: ${applyRounds.map((r) => r.toFixed(2)).join(' ')}`);
const cpuMedians = Object.fromEntries(
  Object.keys(cpu[0] ?? {}).map((part) => [part, median(cpu.map((c) => c[part] ?? 0)).toFixed(1)]),
);
console.log('apply, CPU ms of an enforced restore by part (medians):', cpuMedians);
// By round, warm-up rounds first: what still warms up from one restore to the next.
console.log('apply, CPU ms by part and round (warm-up rounds first):');
console.table(
  Object.fromEntries(
    Object.keys(cpuMedians).map((part) => [part, roundsCpu.map((c) => (c[part] ?? 0).toFixed(1))]),
  ),
);
console.log(
  `apply, enforced / legacy: ${(median(apply.enforced) / median(apply.legacy)).toFixed(2)}x (target <= 2)`,
);
for (const [times, what] of [
  [packet, 'no rule matches'],
  [lastRule, 'the last rule accepts'],
])
  console.log(
    `per packet (${what}), enforced / legacy: ${(perPacket(times, times.enforced) / perPacket(times, times.legacy)).toFixed(2)}x (target <= 1)`,
  );
