#!/usr/bin/env node
// A plainly-named table made by another program between bpfilter's check of the name and its
// transaction; run it inside `unshare -n` only. The service's nft is a wrapper that, once
// asked whether `ip raw` exists (the check), makes an unmarked `ip raw` (iptables-nft's, say)
// before the transaction is sent. Prints one JSON object.
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bpfilter } from '@umd/bpfilter';
import { errorOf, nft } from './api-errors.mjs';

const dir = mkdtempSync(join(tmpdir(), 'bpfilter-plain-race-'));
const armed = join(dir, 'armed');
const wrapper = join(dir, 'nft');
writeFileSync(
  wrapper,
  `#!/bin/sh
nft "$@"; code=$?
if [ "$*" = "-t list table ip raw" ] && [ -e ${armed} ]; then
  rm ${armed}
  nft add table ip raw && nft add chain ip raw theirs
fi
exit $code
`,
);
chmodSync(wrapper, 0o755);

const bpfilter = new Bpfilter({ enforce: { nftPath: wrapper } });
const out = {};
try {
  await bpfilter.restore('*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
  // -m rpfilter --accept-local: xt_rpfilter takes it only in a table named raw or mangle.
  const raw = await bpfilter.listTable('raw');
  raw.chains
    .find((c) => c.name === 'PREROUTING')
    .rules.push({
      matches: [
        { kind: 'raw', name: 'rpfilter', revision: 0, data: Uint8Array.of(4, 0, 0, 0, 0, 0, 0, 0) },
      ],
      target: { kind: 'verdict', verdict: 'DROP' },
    });
  out.before = nft();
  writeFileSync(armed, '');
  out.error = await errorOf(bpfilter.replaceTable('raw', raw));
  out.checked = !existsSync(armed);
  out.after = nft();
  out.saved = await bpfilter.save();
} finally {
  await bpfilter.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(out));
