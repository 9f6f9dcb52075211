#!/usr/bin/env node
// Drives the TypeScript API in enforcement mode; run it inside `unshare -n` only.
// Prints one JSON object: what nft held and what each refused call threw.
import { Bpfilter } from '@umd/bpfilter';
import { errorOf, nft } from './api-errors.mjs';

const bpfilter = new Bpfilter({ enforce: true });
const out = {};
await bpfilter.restore(`*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j DROP
COMMIT
`);
out.first = nft();
// `! -p all`, a rule that matches nothing: nft has no form for it (-j CHECKSUM, which has
// none either, is enforced through nft_compat in `ip mangle`: enforce-tablebound.test.ts).
const mangle = await bpfilter.listTable('mangle');
mangle.chains
  .find((c) => c.name === 'POSTROUTING')
  .rules.push({ invert: { protocol: true }, target: { kind: 'verdict', verdict: 'ACCEPT' } });
out.untranslatable = await errorOf(bpfilter.replaceTable('mangle', mangle));
out.afterUntranslatable = nft();
out.savedAfterUntranslatable = await bpfilter.save();
// 20 user chains, each jumping to the next: iptables accepts it, nf_tables refuses a jump
// stack that deep.
const chains = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}`);
const deep = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ...chains.map((c) => `:${c} - [0:0]`),
  `-A INPUT -j ${chains[0]}`,
  ...chains.slice(0, -1).map((c, i) => `-A ${c} -j ${chains[i + 1]}`),
  'COMMIT',
  '',
].join('\n');
out.kernelRefused = await errorOf(bpfilter.restore(deep));
out.afterKernelRefused = nft();
out.savedAfterKernelRefused = await bpfilter.save();
await bpfilter.stop();
process.stdout.write(JSON.stringify(out));
