#!/usr/bin/env node
// Attacks on the nft_compat path through the TypeScript API in enforcement mode; run it
// inside `unshare -n` only. argv[2]: the seed of the random info bytes. Prints one JSON object.
import { Bpfilter } from '@umd/bpfilter';
import { errorOf, nft } from './api-errors.mjs';

// A small seeded generator (mulberry32), so that a failing run can be repeated.
let seed = Number(process.argv[2]) >>> 0;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (list) => list[Math.floor(random() * list.length)];

const bpfilter = new Bpfilter({ enforce: true });
const out = { attempts: [] };
await bpfilter.restore(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 192.0.2.0/24 -j DROP
COMMIT
`);
const base = await bpfilter.listTable('filter');
const withRule = (table, chain, rule) => {
  const copy = structuredClone(table);
  copy.chains.find((c) => c.name === chain).rules.push(rule);
  return copy;
};

// xt_rpfilter checks the table's name itself (the handler, as the kernel, refuses it in a table
// not named raw or mangle): the raw table holding it is enforced as `ip raw` (the strict and
// loose checks are nft's fib; --accept-local, which fib cannot say, is xt's).
const raw = await bpfilter.listTable('raw');
const acceptLocal = Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0);
out.rpfilter = await errorOf(
  bpfilter.replaceTable(
    'raw',
    withRule(raw, 'PREROUTING', {
      matches: [{ kind: 'raw', name: 'rpfilter', revision: 0, data: acceptLocal }],
      target: { kind: 'verdict', verdict: 'DROP' },
    }),
  ),
);
out.rpfilterNft = nft();

// Random info bytes (any length, aligned or not), revisions the kernel may lack, unknown names.
const EXTENSIONS = [
  ['match', 'recent', [0, 1, 2]],
  ['match', 'string', [0, 1]],
  ['match', 'hashlimit', [1, 2, 3, 4]],
  ['match', 'nosuchmatch', [0]],
  ['target', 'NFQUEUE', [0, 1, 2, 3, 4]],
  ['target', 'NOSUCHTARGET', [0]],
];
for (let i = 0; i < 40; i++) {
  const [kind, name, revisions] = pick(EXTENSIONS);
  const size = pick([0, 4, 8, 8, 8, 16, 200, 312, 320, 1024, Math.floor(random() * 2000)]);
  const data = Uint8Array.from({ length: size }, () => (random() < 0.6 ? 0 : random() * 256));
  const object = { kind: 'raw', name, revision: pick(revisions), data };
  const rule =
    kind === 'match'
      ? { matches: [object], target: { kind: 'verdict', verdict: 'ACCEPT' } }
      : { target: object };
  const listed = nft();
  const error = await errorOf(bpfilter.replaceTable('filter', withRule(base, 'INPUT', rule)));
  const after = nft();
  out.attempts.push({
    what: `${kind} ${name} revision ${object.revision}, ${size} bytes`,
    error,
    kept: after === listed,
    compat: /xt (match|target)|queue/.test(after),
  });
}
out.answers = (await bpfilter.listTable('filter')).chains.length;
await bpfilter.stop();
process.stdout.write(JSON.stringify(out));
