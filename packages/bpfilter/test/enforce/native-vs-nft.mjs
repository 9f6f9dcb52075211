#!/usr/bin/env node
// Applies each table of a JSON file (iptables-save texts) twice in this network namespace:
// through nft (`nft -j -f`) and through the netlink helper (with no nft to fall back on), and
// prints, per table, nft's JSON listing after each. A text given as `{ "iptables": text }` is
// encoded by iptables-legacy-restore itself (through a plain `bpfilter serve`), for the
// extensions bpfilter's text format does not read. Run it inside `unshare -n` only.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NftEnforcer, parseSave, planTable } from '@umd/bpfilter';
import { restoredTables } from './legacy-restore.mjs';

/** The tables of `entry` as models: parsed, or restored by iptables-legacy and read back. */
const tablesOf = (entry) =>
  typeof entry === 'string' ? parseSave(entry) : restoredTables(entry.iptables);

const texts = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const viaNft = new NftEnforcer({ batchWriter: false });
// A transaction the compiler left to nft would fail here: every one must go over netlink.
const viaNetlink = new NftEnforcer({ nftPath: '/nonexistent/nft' });
const listing = (table) => {
  const json = JSON.parse(
    execFileSync('nft', ['-j', 'list', 'table', 'ip', table], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    }),
  );
  return json.nftables
    .filter((item) => !item.metainfo)
    .map((item) => {
      const [kind, body] = Object.entries(item)[0];
      const { handle, ...rest } = body;
      return { [kind]: rest };
    });
};
const out = [];
for (const text of texts) {
  const results = {};
  for (const [name, enforcer] of [
    ['nft', viaNft],
    ['netlink', viaNetlink],
  ]) {
    const tables = (await tablesOf(text)).map((t) => planTable({ name: t.name, chains: t.chains }));
    try {
      for (const plan of tables) await enforcer.replace(plan);
      results[name] = tables.map((plan) => listing(plan.nftTable));
    } catch (error) {
      results[name] = { error: error.message };
    }
    execFileSync('nft', ['flush', 'ruleset']);
  }
  out.push(results);
}
console.log(JSON.stringify(out));
