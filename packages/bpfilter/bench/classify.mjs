#!/usr/bin/env node
// Classification throughput, packets/s, in one run, for a 20-rule and a 5,000-rule filter
// table whose packets walk every chain to the policy (no rule matches them), a 5,000-rule
// table of interface and TCP-flag rules (before the lookup keyed on those, each packet was
// tested against each rule), and a 5,000-rule table no lookup can skip (wildcard interfaces,
// inverted addresses: each packet is tested against each rule, the engine's worst case):
// - in-process: the handler core called directly (no process, no pipe): the engine's ceiling;
// - batch through the manager: BpfilterSockopt.classifyBatch, one CLASSIFY_BATCH request per
//   batch, counters kept by the front end (what `bpfilter serve` does for a batch);
// - batch through the API: Bpfilter.classifyBatch from packet objects (encoding included);
// - per packet, now: BpfilterSockopt.classify, one JSON request per packet;
// - per packet, before this change: one JSON CLASSIFY plus the read-back of the whole table
//   the front end used to make after each one (replayed as those two bare requests).
// Pinned to one CPU with `taskset -c 0` when available (host and handler share that core).
// Each figure is packets per CPU-second of the host and handler processes together (what one
// core does when it does nothing else; the machine's load does not lower it), and in
// brackets packets per second of wall time in this run.
// Usage: node bench/classify.mjs [batchSize=10000] [rounds=5]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bpfilter, encodeBatch } from '@umd/bpfilter';
import { median } from './median.mjs';

if (process.env.BPFILTER_BENCH_PINNED === undefined) {
  const pinned = spawnSync(
    'taskset',
    ['-c', '0', process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, BPFILTER_BENCH_PINNED: '1' } },
  );
  if (pinned.error === undefined) process.exit(pinned.status ?? 1);
  console.log('taskset not available: not pinned to one core');
}
const { createHandlerCore } = await import('../dist/handler-core.js');

const batchSize = Number(process.argv[2] ?? 10_000);
const rounds = Number(process.argv[3] ?? 5);

/** `n` rules: a third fail2ban-like source blocks, a third ufw-like ports, a third both. */
function rulesText(n) {
  const lines = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < n; i++) {
    const host = `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 3)}`;
    if (i % 3 === 0) lines.push(`-A INPUT -s ${host}/32 -j DROP`);
    else if (i % 3 === 1) lines.push(`-A INPUT -p tcp -m tcp --dport ${10000 + i} -j ACCEPT`);
    else lines.push(`-A INPUT -s ${host}/32 -p udp -m udp --dport ${20000 + i} -j ACCEPT`);
  }
  return `${lines.join('\n')}\nCOMMIT\n`;
}

/** `n` rules on exact interface names and TCP flags (keyed by the per-chain lookup). */
function interfaceRulesText(n) {
  const lines = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) lines.push(`-A INPUT -i br-${i} -j DROP`);
    else lines.push('-A INPUT -p tcp -m tcp --tcp-flags SYN,RST SYN,RST -j DROP');
  }
  return `${lines.join('\n')}\nCOMMIT\n`;
}

/**
 * `n` rules the per-chain lookup cannot skip (wildcard interfaces and inverted addresses are
 * not keyed): every packet is tested against every rule, the engine's worst case.
 */
function unindexedRulesText(n) {
  const lines = ['*filter', ':INPUT DROP [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) lines.push(`-A INPUT -i br-${i}+ -j DROP`);
    else lines.push(`-A INPUT ! -s 192.0.2.0/24 -j DROP`);
  }
  return `${lines.join('\n')}\nCOMMIT\n`;
}

/** Packets no rule matches: they walk to the policy. */
const packets = Array.from({ length: batchSize }, (_, i) => ({
  source: `192.0.2.${i % 250}`,
  destination: '198.51.100.1',
  protocol: i % 2 ? 'tcp' : 'udp',
  sourcePort: 40000 + (i % 1000),
  destinationPort: 443,
  inInterface: 'eth0',
  length: 60,
}));
const PACKET_JSON = new TextEncoder().encode(
  JSON.stringify({ table: 'filter', hook: 'INPUT', packet: packets[0] }),
);

function mbox(cmd, data, len = data.length) {
  const bytes = new Uint8Array(24 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, len, true);
  view.setUint32(16, cmd, true);
  view.setUint32(20, process.pid, true);
  bytes.set(data, 24);
  return bytes;
}

/** CPU seconds used so far by this process and by `pid` (the handler) with its descendants. */
function cpuSeconds(pid) {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6 + (pid === undefined ? 0 : treeCpuSeconds(pid));
}

/**
 * utime + stime (fields 14 and 15 of /proc/PID/stat, clock ticks of 1/100 s) of `pid` and its
 * live descendants: the manager's pid is the sandbox (unshare, setpriv), the handler's node
 * runs below it.
 */
function treeCpuSeconds(pid) {
  let total = 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / 100;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      for (const child of children ? children.split(' ') : []) total += treeCpuSeconds(child);
    }
  } catch {
    // Gone between the listing and the read.
  }
  return total;
}

/** Median over rounds of packets per CPU-second and per wall second. */
async function rate(run, count, pid, minCpuSeconds = 0.5) {
  const cpu = [];
  const wall = [];
  for (let round = 0; round < rounds; round++) {
    let done = 0;
    const start = process.hrtime.bigint();
    const cpuStart = cpuSeconds(pid);
    while (cpuSeconds(pid) - cpuStart < minCpuSeconds) {
      await run();
      done += count;
    }
    cpu.push(done / (cpuSeconds(pid) - cpuStart));
    wall.push(done / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return { cpu: median(cpu), wall: median(wall) };
}

const rows = [];
const TABLES = [
  { label: '20', ruleCount: 20, text: rulesText(20) },
  { label: '5000', ruleCount: 5000, text: rulesText(5000) },
  { label: '5000, interfaces and flags', ruleCount: 5000, text: interfaceRulesText(5000) },
  { label: '5000, none skipped', ruleCount: 5000, text: unindexedRulesText(5000) },
];
for (const { label, ruleCount, text } of TABLES) {
  const bpfilter = new Bpfilter();
  await bpfilter.restore(text);
  const { sockopt } = bpfilter;
  const manager = sockopt.manager;
  const batch = encodeBatch('filter', 'INPUT', packets);
  const core = createHandlerCore();
  {
    const helper = new Bpfilter({
      transport: {
        getsockopt: async (opt, val) => reply(core.handle(mbox(opt, val))),
        setsockopt: async (opt, val) => {
          const payload = mbox(opt, val);
          new DataView(payload.buffer).setUint32(12, 1, true);
          return reply(core.handle(payload));
        },
        classify: async () => ({ status: -95 }),
        classifyBatch: async () => ({ status: -95 }),
        tableNames: async () => [],
        close: async () => {},
      },
    });
    await helper.restore(text);
  }
  const inProcess = mbox(0x1003, batch);
  const info = new Uint8Array(84);
  new TextEncoder().encodeInto('filter', info);
  const size = new DataView((await sockopt.getsockopt(64, info)).data.buffer).getUint32(80, true);
  const entries = new Uint8Array(40);
  new TextEncoder().encodeInto('filter', entries);
  new DataView(entries.buffer).setUint32(32, size, true);
  const perPacket = ruleCount > 1000 ? 40 : 400;
  const pid = manager.pid;
  const row = { rules: label };
  row['in-process batch'] = await rate(async () => core.handle(inProcess), batchSize);
  row['batch via manager'] = await rate(
    () => sockopt.classifyBatch('filter', batch),
    batchSize,
    pid,
  );
  row['batch via API'] = await rate(
    () => bpfilter.classifyBatch('filter', 'INPUT', packets),
    batchSize,
    pid,
  );
  row['per packet now'] = await rate(
    async () => {
      for (let i = 0; i < perPacket; i++) await sockopt.classify('filter', PACKET_JSON);
    },
    perPacket,
    pid,
  );
  row['per packet before'] = await rate(
    async () => {
      for (let i = 0; i < perPacket; i++) {
        await manager.request(mbox(0x1001, PACKET_JSON));
        await manager.request(mbox(65, entries, 40 + size));
      }
    },
    perPacket,
    pid,
  );
  rows.push(row);
  await bpfilter.stop();
}

function reply(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { status: view.getInt32(0, true), data: bytes.subarray(4) };
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');
console.log(
  `batch of ${batchSize} packets, median of ${rounds} rounds; packets per CPU-second (per wall second); load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`,
);
console.table(
  rows.map((r) =>
    Object.fromEntries(
      Object.entries(r).map(([k, v]) => [k, k === 'rules' ? v : `${fmt(v.cpu)} (${fmt(v.wall)})`]),
    ),
  ),
);
for (const r of rows) {
  const manager = r['batch via manager'].cpu;
  console.log(
    `${r.rules} rules: batch via manager ${fmt(manager)}/s = ${(manager / r['per packet before'].cpu).toFixed(0)}x per packet before, ${((100 * manager) / r['in-process batch'].cpu).toFixed(0)}% of in-process`,
  );
}
