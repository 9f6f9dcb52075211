#!/usr/bin/env node
// Builds bad (and a few good) sockopt requests by mutating the captured iptables-legacy
// tables in basic.jsonl, runs each case against the real kernel in a fresh network
// namespace (`unshare -n`, so no real firewall is touched) with kernel-sockopt.c, and
// writes validation.jsonl: the case, its request bytes and the kernel's answer.
// Usage (root): cc -o /tmp/kernel-sockopt kernel-sockopt.c && node capture-validation.mjs /tmp/kernel-sockopt
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const tool = process.argv[2];
if (!tool) throw new Error('usage: capture-validation.mjs <path to compiled kernel-sockopt>');
const here = new URL('.', import.meta.url);
const steps = readFileSync(new URL('basic.jsonl', here), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l));
const replaceOf = (args) =>
  Buffer.from(
    steps.find((s) => s.iptables === args).calls.find((c) => c.opt === 'IPT_SO_SET_REPLACE').hex,
    'hex',
  );

// Base tables (offsets below are entry offsets, +96 in the replace buffer).
// withJump: INPUT lo ACCEPT @0, tcp dport 22 DROP @152, -i eth0 -j web @352, policy @504,
// FORWARD policy @656, OUTPUT policy @808, ERROR web @960, web tcp 80 ACCEPT @1136,
// web -j RETURN @1336, web tail @1488, ERROR @1640.
const withJump = replaceOf('-A INPUT -i eth0 -j web');
// withLog adds FORWARD udp REJECT @656 and OUTPUT icmp LOG @1008 (see basic.jsonl).
const withLog = replaceOf('-A OUTPUT -p icmp --icmp-type echo-request -j LOG --log-prefix "ping "');
const rawDrop = replaceOf('-t raw -A PREROUTING -d 192.0.2.1 -j DROP');

const E = 96; // entries start in ipt_replace
function mutate(base, edit, { numCounters } = {}) {
  const b = Buffer.from(base);
  b.writeUInt32LE(numCounters ?? (b.toString('latin1', 0, 3) === 'raw' ? 3 : 4), 84); // a fresh table's entry count
  edit(b);
  return b;
}
const set = (name, hex, note) => ({ name, note, ops: [{ call: 'set', opt: 64, hex }] });
const cases = [];
const replaceCase = (name, base, edit, opts, note) =>
  cases.push(set(name, mutate(base, edit, opts).toString('hex'), note));

replaceCase('good table with a user chain and a jump', withJump, () => {});
replaceCase('good table with REJECT and LOG', withLog, () => {});
replaceCase('num_entries one too many', withJump, (b) =>
  b.writeUInt32LE(b.readUInt32LE(36) + 1, 36),
);
replaceCase('num_entries one too few', withJump, (b) =>
  b.writeUInt32LE(b.readUInt32LE(36) - 1, 36),
);
replaceCase('misaligned next_offset', withJump, (b) => b.writeUInt16LE(156, E + 0 + 90));
replaceCase('next_offset smaller than an entry with a target', withJump, (b) =>
  b.writeUInt16LE(136, E + 0 + 90),
);
replaceCase('next_offset past the end', withJump, (b) => b.writeUInt16LE(400, E + 1640 + 90));
replaceCase('target_offset inside the entry header', withJump, (b) =>
  b.writeUInt16LE(104, E + 152 + 88),
);
replaceCase('target size below its header', withJump, (b) => b.writeUInt16LE(16, E + 0 + 112));
replaceCase('standard target verdict NF_STOLEN', withJump, (b) =>
  b.writeInt32LE(-3, E + 152 + 160 + 32),
);
replaceCase('standard target verdict 0', withJump, (b) => b.writeInt32LE(0, E + 152 + 160 + 32));
replaceCase('standard target verdict NF_QUEUE', withJump, (b) =>
  b.writeInt32LE(-4, E + 152 + 160 + 32),
);
replaceCase('jump off an entry boundary', withJump, (b) =>
  b.writeInt32LE(1144, E + 352 + 112 + 32),
);
replaceCase('jump past the end', withJump, (b) => b.writeInt32LE(40000, E + 352 + 112 + 32));
replaceCase('user chain jumps to itself (loop)', withJump, (b) =>
  b.writeInt32LE(1136, E + 1336 + 112 + 32),
);
replaceCase('hook entry not on an entry boundary', withJump, (b) => b.writeUInt32LE(8, 44 + 4 * 1));
replaceCase('underflow not on an entry boundary', withJump, (b) =>
  b.writeUInt32LE(500, 64 + 4 * 1),
);
replaceCase('policy entry with a condition', withJump, (b) => b.writeUInt16LE(6, E + 504 + 80));
replaceCase('policy entry with RETURN', withJump, (b) => b.writeInt32LE(-5, E + 504 + 112 + 32));
replaceCase('policy entry with a jump', withJump, (b) => b.writeInt32LE(1136, E + 504 + 112 + 32));
replaceCase('hook entries out of order', withJump, (b) => {
  b.writeUInt32LE(808, 44 + 4 * 2);
  b.writeUInt32LE(656, 44 + 4 * 3);
});
replaceCase('duplicate underflow', withJump, (b) => b.writeUInt32LE(656, 64 + 4 * 3));
replaceCase(
  'valid_hooks of another table',
  withJump,
  (b) => {
    b.writeUInt32LE(0x1e, 32);
    b.writeUInt32LE(1640, 44 + 4 * 4);
    b.writeUInt32LE(1640, 64 + 4 * 4);
  },
  undefined,
);
replaceCase('valid_hooks missing FORWARD', withJump, (b) => b.writeUInt32LE(0x0a, 32));
replaceCase('num_counters not the current entry count', withJump, () => {}, { numCounters: 5 });
replaceCase('num_counters 0', withJump, () => {}, { numCounters: 0 });
replaceCase('unknown table', withJump, (b) => b.write('nosuch\0', 0, 'latin1'));
replaceCase('unknown match', withJump, (b) => b.write('tcpx\0', E + 152 + 112 + 2, 'latin1'));
replaceCase('unsupported match revision', withJump, (b) => (b[E + 152 + 112 + 31] = 5));
replaceCase('unknown target', withJump, (b) => b.write('NOPE\0', E + 0 + 112 + 2, 'latin1'));
replaceCase('tcp match on a udp rule', withJump, (b) => b.writeUInt16LE(17, E + 152 + 80));
replaceCase('tcp match with protocol inverted', withJump, (b) => (b[E + 152 + 83] = 0x40));
replaceCase(
  'tcp match with unknown invflags',
  withJump,
  (b) => (b[E + 152 + 112 + 32 + 11] = 0x10),
);
replaceCase('tcp match of the wrong size', withJump, (b) => {
  b.writeUInt16LE(40, E + 152 + 112);
  b.writeUInt16LE(152, E + 152 + 88);
});
replaceCase('match size zero', withJump, (b) => b.writeUInt16LE(0, E + 152 + 112));
replaceCase('match runs past the target', withJump, (b) => b.writeUInt16LE(56, E + 152 + 112));
replaceCase('unknown ip flags', withJump, (b) => (b[E + 0 + 82] = 0x04));
replaceCase('unknown ip invflags', withJump, (b) => (b[E + 0 + 83] = 0x80));
replaceCase('ERROR target of the wrong size', withJump, (b) => b.writeUInt16LE(56, E + 1640 + 112));
replaceCase('ERROR target name without NUL', withJump, (b) =>
  b.fill(0x41, E + 960 + 112 + 32, E + 960 + 112 + 62),
);
replaceCase('REJECT with echo-reply', withLog, (b) => b.writeUInt32LE(4, E + 656 + 160 + 32));
replaceCase('REJECT with tcp-reset on a udp rule', withLog, (b) =>
  b.writeUInt32LE(7, E + 656 + 160 + 32),
);
replaceCase('LOG level 8', withLog, (b) => (b[E + 1008 + 152 + 32] = 8));
replaceCase('LOG prefix without NUL', withLog, (b) =>
  b.fill(0x41, E + 1008 + 152 + 34, E + 1008 + 152 + 64),
);
replaceCase(
  'icmp match with unknown invflags',
  withLog,
  (b) => (b[E + 1008 + 112 + 32 + 3] = 0x02),
);
replaceCase('REJECT in the raw table', rawDrop, (b) => {
  b.write('REJECT\0', E + 0 + 112 + 2, 'latin1');
  b.writeUInt32LE(3, E + 0 + 112 + 32);
});
replaceCase(
  'user chain without its RETURN tail',
  withJump,
  (b) => b.writeInt32LE(-2, E + 1488 + 112 + 32),
  undefined,
  'the kernel accepts it; bpfilter needs user chains ended by RETURN',
);
replaceCase(
  'jump onto a user chain ERROR head',
  withJump,
  (b) => b.writeInt32LE(960, E + 352 + 112 + 32),
  undefined,
  'the kernel accepts it; bpfilter needs jumps onto the first rule of a user chain',
);
replaceCase(
  'no final ERROR entry',
  withJump,
  (b) => {
    b.writeUInt32LE(b.readUInt32LE(36) - 1, 36);
    b.writeUInt32LE(b.readUInt32LE(40) - 176, 40);
  },
  undefined,
  'the kernel accepts it; bpfilter needs the final ERROR entry',
);
// The last case's blob keeps its 176 trailing bytes; cut them so len matches size.
{
  const last = cases[cases.length - 1];
  last.ops[0].hex = last.ops[0].hex.slice(0, last.ops[0].hex.length - 176 * 2);
}

// Gets and counters on a fresh table.
const name32 = (n) => Buffer.concat([Buffer.from(n, 'latin1'), Buffer.alloc(32 - n.length)]);
const getInfo = (n, len = 84) => Buffer.concat([name32(n), Buffer.alloc(len - 32)]);
const getEntries = (n, size, len = 40 + size) => {
  const b = Buffer.alloc(len);
  name32(n).copy(b);
  b.writeUInt32LE(size, 32);
  return b;
};
const counters = (n, num, count = num) => {
  const b = Buffer.alloc(40 + 16 * count);
  name32(n).copy(b);
  b.writeUInt32LE(num, 32);
  for (let i = 0; i < count; i++) b.writeBigUInt64LE(BigInt(i + 1), 40 + 16 * i);
  return b;
};
const get = (name, opt, buf) =>
  cases.push({ name, ops: [{ call: 'get', opt, hex: buf.toString('hex') }] });
get('GET_INFO of filter', 64, getInfo('filter'));
get('GET_INFO of mangle', 64, getInfo('mangle'));
get('GET_INFO of raw', 64, getInfo('raw'));
get('GET_INFO with a short length', 64, getInfo('filter', 80));
get('GET_INFO of an unknown table', 64, getInfo('nosuch'));
get('GET_ENTRIES of mangle', 65, getEntries('mangle', 936));
get('GET_ENTRIES with the wrong size', 65, getEntries('filter', 624));
get('GET_ENTRIES with a length that disagrees with size', 65, getEntries('filter', 632, 680));
get('GET_ENTRIES with a length below the header', 65, Buffer.alloc(36));
get('GET_REVISION_MATCH with a short length', 66, Buffer.alloc(29));
get(
  'GET_REVISION_TARGET of REJECT revision 1',
  67,
  Buffer.concat([Buffer.from('REJECT', 'latin1'), Buffer.alloc(23), Buffer.from([1])]),
);
cases.push({
  name: 'ADD_COUNTERS then GET_ENTRIES shows them',
  ops: [
    { call: 'get', opt: 64, hex: getInfo('filter').toString('hex') },
    { call: 'set', opt: 65, hex: counters('filter', 4).toString('hex') },
    { call: 'get', opt: 65, hex: getEntries('filter', 632).toString('hex') },
  ],
});
cases.push({
  name: 'ADD_COUNTERS with the wrong number',
  ops: [{ call: 'set', opt: 65, hex: counters('filter', 5).toString('hex') }],
});
cases.push({
  name: 'ADD_COUNTERS whose length disagrees',
  ops: [{ call: 'set', opt: 65, hex: counters('filter', 4, 3).toString('hex') }],
});
cases.push({
  name: 'ADD_COUNTERS of an unknown table',
  ops: [{ call: 'set', opt: 65, hex: counters('nosuch', 4).toString('hex') }],
});
cases.push({
  name: 'ADD_COUNTERS shorter than its header',
  ops: [{ call: 'set', opt: 65, hex: Buffer.alloc(20).toString('hex') }],
});
cases.push({
  name: 'replace returns the old counters',
  ops: [
    { call: 'set', opt: 65, hex: counters('filter', 4).toString('hex') },
    { call: 'set', opt: 64, hex: mutate(withJump, () => {}).toString('hex') },
    { call: 'get', opt: 65, hex: getEntries('filter', withJump.readUInt32LE(40)).toString('hex') },
  ],
});

const out = [];
for (const c of cases) {
  const input = c.ops.map((op) => `${op.call} ${op.opt} ${op.hex}\n`).join('');
  const stdout = execFileSync('unshare', ['-n', tool], { input, maxBuffer: 64 << 20 }).toString();
  const answers = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  out.push(JSON.stringify({ ...c, ops: c.ops.map((op, i) => ({ ...op, kernel: answers[i] })) }));
}
writeFileSync(new URL('validation.jsonl', here), `${out.join('\n')}\n`);
console.log(`${out.length} cases written`);
