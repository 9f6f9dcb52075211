#!/usr/bin/env node
// Measures classification on a real kernel: in a fresh network namespace (`unshare -n`),
// iptables-legacy installs the rules below, send-packets.py sends each packet of PACKETS
// over lo (OUTPUT, then INPUT if accepted; INPUT never accepts, so the kernel sends no
// replies that would also be counted), and kernel-sockopt reads the filter and mangle
// tables before and after. Writes classify.json: { commands, packets, tables: { filter,
// mangle: { info, before, after } }, save } (GET_INFO / GET_ENTRIES buffers in hex, and
// what iptables-legacy-save printed for both tables before the packets).
// Usage (root): cc -o /tmp/kernel-sockopt kernel-sockopt.c && node capture-classify.mjs /tmp/kernel-sockopt
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const tool = process.argv[2];
if (!tool) throw new Error('usage: capture-classify.mjs <path to compiled kernel-sockopt>');
const here = fileURLToPath(new URL('.', import.meta.url));

const commands = [
  '-P INPUT DROP',
  '-N web',
  '-A web -s 10.0.0.0/8 -j RETURN',
  '-A web -p tcp --dport 80', // no target: only counts (libiptc's fall-through)
  '-A web -p tcp --tcp-flags SYN,ACK SYN -j DROP',
  '-A web -j RETURN',
  '-A INPUT -s 127.0.0.1', // no target: counts every packet from 127.0.0.1
  '-A INPUT -p tcp --dport 80 -j web',
  '-A INPUT -p udp ! --dport 53 -j DROP',
  '-A INPUT -p icmp --icmp-type echo-request -j DROP',
  '-A INPUT -i lo -p tcp --sport 1000:2000 -j DROP',
  '-A INPUT ! -i lo -j DROP',
  '-N hi',
  '-A hi -p tcp --tcp-flags ALL ACK -j DROP',
  '-A hi -d 127.0.0.9 -j RETURN',
  '-A hi -p tcp --sport 5 -j DROP',
  '-A OUTPUT -p tcp --dport 443', // no target
  '-A OUTPUT -o lo -p tcp --dport 22 -j DROP',
  '-A OUTPUT -p tcp ! --dport 1:1024 -g hi',
  '-A OUTPUT -f -j DROP',
  '-A OUTPUT -p icmp --icmp-type 3/1 -j DROP',
  '-A OUTPUT -d 127.0.0.5 -j DROP',
  '-A OUTPUT ! -s 127.0.0.0/8 -p udp -j LOG --log-prefix "x "',
  '-A OUTPUT -p udp --sport 7 -j DROP',
  '-A OUTPUT ! -p tcp -d 127.0.0.6 -j DROP',
  // mangle: its hooks run around filter's (OUTPUT, POSTROUTING; then PREROUTING, INPUT).
  '-t mangle -A PREROUTING -p udp --dport 54 -j DROP',
  '-t mangle -A PREROUTING -i lo -p tcp -j RETURN',
  '-t mangle -A PREROUTING -p icmp -j LOG --log-prefix "m "',
  '-t mangle -N mark_it',
  '-t mangle -A mark_it -p tcp --dport 443 -j RETURN',
  '-t mangle -A mark_it -p tcp', // no target, in a user chain
  '-t mangle -A mark_it -p tcp -j ACCEPT',
  '-t mangle -A OUTPUT -p tcp --sport 2500 -j DROP',
  '-t mangle -A OUTPUT -j mark_it',
  '-t mangle -A POSTROUTING -o lo -p icmp --icmp-type 0 -j DROP',
  '-t mangle -A INPUT -p tcp --dport 80 --tcp-flags SYN SYN -j DROP',
];

const P = (fields) => ({ source: '127.0.0.1', destination: '127.0.0.2', ...fields });
const packets = [
  P({ protocol: 6, sourcePort: 40000, destinationPort: 22, tcpFlags: 0x02 }),
  P({ protocol: 6, sourcePort: 40000, destinationPort: 80, tcpFlags: 0x02 }),
  P({ protocol: 6, sourcePort: 40000, destinationPort: 80, tcpFlags: 0x12, payload: 10 }),
  P({ source: '10.1.2.3', protocol: 6, sourcePort: 40000, destinationPort: 80, tcpFlags: 0x02 }),
  P({ protocol: 6, sourcePort: 1500, destinationPort: 443, tcpFlags: 0x10 }),
  P({ protocol: 6, sourcePort: 2500, destinationPort: 443, tcpFlags: 0x10 }),
  P({ protocol: 6, sourcePort: 40000, destinationPort: 8080, tcpFlags: 0x10 }),
  P({ protocol: 6, sourcePort: 40000, destinationPort: 8080, tcpFlags: 0x18, payload: 100 }),
  P({ protocol: 6, sourcePort: 5, destinationPort: 8080, tcpFlags: 0x02 }),
  P({
    destination: '127.0.0.9',
    protocol: 6,
    sourcePort: 5,
    destinationPort: 8080,
    tcpFlags: 0x02,
  }),
  P({ protocol: 17, sourcePort: 5000, destinationPort: 53, payload: 30 }),
  P({ protocol: 17, sourcePort: 5000, destinationPort: 54 }),
  P({ protocol: 17, sourcePort: 7, destinationPort: 53 }),
  P({ source: '10.9.9.9', protocol: 17, sourcePort: 9, destinationPort: 53 }),
  P({ protocol: 1, icmpType: 8 }),
  P({ protocol: 1, icmpType: 0 }),
  P({ protocol: 1, icmpType: 3, icmpCode: 1 }),
  P({ protocol: 1, icmpType: 3, icmpCode: 3 }),
  P({ protocol: 6, sourcePort: 40000, destinationPort: 22, tcpFlags: 0x02, fragmentOffset: 8 }),
  P({ protocol: 17, fragmentOffset: 100, payload: 16 }),
  P({ destination: '127.0.0.5', protocol: 6, sourcePort: 1, destinationPort: 2 }),
  P({ destination: '127.0.0.6', protocol: 47, payload: 4 }),
  P({ destination: '127.0.0.6', protocol: 6, sourcePort: 1, destinationPort: 2 }),
];

const dir = mkdtempSync(join(tmpdir(), 'bpfilter-capture-'));
writeFileSync(join(dir, 'packets.json'), JSON.stringify(packets));
const getInfo = (table) =>
  `get 64 ${Buffer.concat([Buffer.from(table), Buffer.alloc(84 - table.length)]).toString('hex')}`;
const script = [
  'set -e',
  'ip link set lo up',
  ...commands.map((c) => `iptables-legacy ${c}`), // the commands are shell words (quotes included)
  ...['filter', 'mangle'].flatMap((table) => [
    `echo '${getInfo(table)}' | ${tool} > ${dir}/${table}-info.json`,
    `${table}_size=$(node -e "console.log(Buffer.from(JSON.parse(require('fs').readFileSync('${dir}/${table}-info.json','utf8')).hex,'hex').readUInt32LE(80))")`,
    `${table}_entries() { node -e "const b=Buffer.alloc(40+$${table}_size); b.write('${table}'); b.writeUInt32LE($${table}_size,32); console.log('get 65 '+b.toString('hex'))"; }`,
    `${table}_entries | ${tool} > ${dir}/${table}-before.json`,
  ]),
  `iptables-legacy-save -t filter > ${dir}/save.txt`,
  `iptables-legacy-save -t mangle >> ${dir}/save.txt`,
  `python3 ${join(here, 'send-packets.py')} ${dir}/packets.json`,
  ...['filter', 'mangle'].map((table) => `${table}_entries | ${tool} > ${dir}/${table}-after.json`),
].join('\n');
execFileSync('unshare', ['-n', 'sh', '-c', script], { stdio: 'inherit' });
const read = (f) => JSON.parse(execFileSync('cat', [join(dir, f)]).toString()).hex;
const tables = Object.fromEntries(
  ['filter', 'mangle'].map((t) => [
    t,
    {
      info: read(`${t}-info.json`),
      before: read(`${t}-before.json`),
      after: read(`${t}-after.json`),
    },
  ]),
);
// What iptables-legacy-save printed before the packets (comment lines dropped: they hold the date).
const save = execFileSync('cat', [join(dir, 'save.txt')])
  .toString()
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n');
writeFileSync(
  join(here, 'classify.json'),
  `${JSON.stringify({ commands, packets, tables, save }, null, 1)}\n`,
);
console.log('classify.json written');
