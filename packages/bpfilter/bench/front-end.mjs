#!/usr/bin/env node
// What the bpfilter front end costs on top of the manager, in the same run, interleaved:
// - GET_INFO: bare UmdManager.request vs BpfilterSockopt.getsockopt (routing, lock, header);
// - CLASSIFY: bare request vs BpfilterSockopt.classify, which also writes the counters the
//   reply reports into its kept copy of the table (no read-back) so they survive a restart.
// bench/classify.mjs measures throughput (batches, large tables).
// Usage: node bench/front-end.mjs [rounds=5] [opsPerRound=2000]
import { Bpfilter } from '@umd/bpfilter';
import { median } from './median.mjs';

const rounds = Number(process.argv[2] ?? 5);
const ops = Number(process.argv[3] ?? 2000);

const RULES = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ssh - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j ssh
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A ssh -s 10.0.0.0/8 -j ACCEPT
-A ssh -j RETURN
COMMIT
`;

function mbox(isSet, cmd, data) {
  const bytes = new Uint8Array(24 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, data.length, true);
  view.setUint32(12, isSet ? 1 : 0, true);
  view.setUint32(16, cmd, true);
  view.setUint32(20, process.pid, true);
  bytes.set(data, 24);
  return bytes;
}

const bpfilter = new Bpfilter();
await bpfilter.restore(RULES);
const sockopt = bpfilter.sockopt;
const manager = sockopt.manager;
const info = new Uint8Array(84);
new TextEncoder().encodeInto('filter', info);
const classifyBody = new TextEncoder().encode(
  JSON.stringify({
    table: 'filter',
    hook: 'INPUT',
    packet: {
      source: '10.1.2.3',
      destination: '192.0.2.1',
      protocol: 'tcp',
      sourcePort: 40000,
      destinationPort: 22,
      inInterface: 'eth0',
    },
  }),
);
const cases = {
  'GET_INFO, bare manager.request': () => manager.request(mbox(false, 64, info)),
  'GET_INFO, BpfilterSockopt.getsockopt': () => sockopt.getsockopt(64, info),
  'CLASSIFY, bare manager.request': () => manager.request(mbox(false, 0x1001, classifyBody)),
  'CLASSIFY, BpfilterSockopt.classify (+ kept counters)': () =>
    sockopt.classify('filter', classifyBody),
};

const samples = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (const run of Object.values(cases)) for (let i = 0; i < 200; i++) await run(); // warm up
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(cases)) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) await run();
    samples[name].push(Number(process.hrtime.bigint() - start) / 1000 / ops);
  }
}
await bpfilter.stop();

const table = Object.entries(samples).map(([name, values]) => ({
  case: name,
  'median µs/op': median(values).toFixed(1),
}));
console.table(table);
const ratio = (a, b) => (median(samples[a]) / median(samples[b])).toFixed(2);
console.log(
  `getsockopt / bare request: ${ratio('GET_INFO, BpfilterSockopt.getsockopt', 'GET_INFO, bare manager.request')}x`,
);
console.log(
  `classify with kept counters / bare CLASSIFY: ${ratio('CLASSIFY, BpfilterSockopt.classify (+ kept counters)', 'CLASSIFY, bare manager.request')}x`,
);
