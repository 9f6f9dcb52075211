#!/usr/bin/env node
// The TypeScript API in enforcement mode with a handler that lies in its receipt
// (fixtures/receipt-liar-handler.mjs, built as a blob: its path and digest in argv[2]'s JSON);
// run it inside `unshare -n` only. Prints one JSON object: nft's listing and the saved tables
// before and after the replace the handler lied about, and what that replace threw.
import { readFileSync } from 'node:fs';
import { Bpfilter } from '@umd/bpfilter';
import { defineLoader } from '@umd/mgmt';
import { errorOf, nft } from './api-errors.mjs';

const { script, sha256 } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const loader = defineLoader({ name: 'bpfilter', mode: 'framed', script, sha256 });
const bpfilter = new Bpfilter({ enforce: true, loader: async () => loader });
const rules = (port) =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport ${port} -j DROP\nCOMMIT\n`;
const out = {};
try {
  // Not kept yet: a plain SET_REPLACE, read back (the liar is honest there).
  await bpfilter.restore(rules(22));
  out.first = nft();
  out.savedFirst = await bpfilter.save();
  // Kept: UMD_CMD_REPLACE, which the liar acknowledges with the receipt of another table.
  out.lie = await errorOf(bpfilter.restore(rules(80)));
  out.afterLie = nft();
  out.savedAfterLie = await bpfilter.save();
  // And the next honest-looking replace still goes through the kept table's path.
  out.next = await errorOf(bpfilter.restore(rules(443)));
  out.afterNext = nft();
} finally {
  await bpfilter.stop();
}
console.log(JSON.stringify(out));
