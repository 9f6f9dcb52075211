#!/usr/bin/env node
// Entries iptables never writes, for the native steering forms, through the TypeScript API in
// enforcement mode; run it inside `unshare -n` only. For each: the error it was refused with
// (if it was), whether the table before it was kept, and nft's listing after. Prints JSON.
import { execFileSync } from 'node:child_process';
import { Bpfilter } from '@umd/bpfilter';
import { errorOf, nft } from './api-errors.mjs';

const bpfilter = new Bpfilter({ enforce: true });
const BUILTIN = { raw: ['PREROUTING', 'OUTPUT'], filter: ['INPUT', 'FORWARD', 'OUTPUT'] };
const base = {};
for (const [table, chains] of Object.entries(BUILTIN)) {
  await bpfilter.restore(
    [
      `*${table}`,
      ...chains.map((c) => `:${c} ACCEPT [0:0]`),
      `-A ${chains[0]} -s 192.0.2.1/32 -j DROP`,
      'COMMIT',
      '',
    ].join('\n'),
  );
  base[table] = await bpfilter.listTable(table);
}

/** xt_CT revision 2's info (72 bytes): u16 flags, zone; then events, helper, timeout. */
function ctInfo(flags, zone) {
  const data = new Uint8Array(72);
  new DataView(data.buffer).setUint16(0, flags, true);
  new DataView(data.buffer).setUint16(2, zone, true);
  return data;
}
/** xt_multiport revision 1's info (48 bytes): flags, count, ports[15], pflags[15], invert. */
function multiportInfo(ports, pflags, count = ports.length, invert = 0) {
  const data = new Uint8Array(48);
  data[47] = invert;
  data[0] = 1; // destination ports
  data[1] = count;
  ports.forEach((p, i) => new DataView(data.buffer).setUint16(2 + 2 * i, p, true));
  pflags.forEach((f, i) => (data[32 + i] = f));
  return data;
}

/** A `-p tcp -m multiport` rule that drops. */
const multiportRule = (...info) => ({
  protocol: 6,
  matches: [{ kind: 'raw', name: 'multiport', revision: 1, data: multiportInfo(...info) }],
  target: { kind: 'verdict', verdict: 'DROP' },
});

const ATTACKS = [
  // XT_CT_NOTRACK_ALIAS without XT_CT_NOTRACK: xt_CT tests bit 0 only, so this is --zone 7.
  [
    'CT alias bit alone',
    'raw',
    { target: { kind: 'raw', name: 'CT', revision: 2, data: ctInfo(2, 7) } },
  ],
  // A range flag on the last port: xt_multiport reads its end past the count.
  ['multiport range without its end', 'filter', multiportRule([22, 80, 90], [0, 1], 2)],
  // An upside-down range: xt_multiport matches no port of it.
  ['multiport range 90:80', 'filter', multiportRule([22, 90, 80], [0, 1, 0])],
  // A range whose end is flagged as the start of another.
  ['multiport range end flagged', 'filter', multiportRule([80, 90, 95], [1, 1, 0])],
  // An invert byte of 2: xt_multiport and xt_mark return `matched ^ 2`, true for every packet.
  ['multiport invert byte 2', 'filter', multiportRule([22, 80], [], 2, 2)],
  [
    'mark invert byte 2',
    'filter',
    {
      matches: [
        {
          kind: 'raw',
          name: 'mark',
          revision: 1,
          data: Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0),
        },
      ],
      target: { kind: 'verdict', verdict: 'DROP' },
    },
  ],
];

const out = [];
for (const [what, table, rule] of ATTACKS) {
  const copy = structuredClone(base[table]);
  copy.chains[0].rules.push(rule);
  const before = nft();
  const error = await errorOf(bpfilter.replaceTable(table, copy));
  const after = nft();
  // nft lists an xt match it has a translation for in nft's words: JSON names the module.
  const json = execFileSync('nft', ['-j', 'list', 'ruleset'], { encoding: 'utf8' });
  const xt = [...json.matchAll(/"xt": \{"type": "(match|target)", "name": "(\w+)"/g)].map(
    (m) => m[2],
  );
  out.push({ what, error, kept: before === after, listing: after, xt });
  await bpfilter.replaceTable(table, base[table]).catch(() => {});
}
await bpfilter.stop();
process.stdout.write(JSON.stringify(out));
