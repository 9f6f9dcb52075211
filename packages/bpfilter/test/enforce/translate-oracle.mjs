#!/usr/bin/env node
// For each case of a JSON file ({ table, rules: [{ args, oracleArgs?, nft? }, ...] }), in this
// network namespace: restores the rules (`args`, one user chain each: c0, c1, ...) through
// iptables-legacy-restore into a plain `bpfilter serve`, installs the table through the
// netlink enforcer and lists each chain's rules with `nft -j`; then installs into a scratch
// table what `iptables-translate` prints for `oracleArgs ?? args` (or the nft rules `nft`,
// for targets iptables-translate has no form for) and lists that. Prints per case
// { bpfilter: { c0: [expr of each rule] } | { error }, oracle: { c0: [expr] | null } } (null:
// no nft form to compare with). Run it inside `unshare -n` only.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { NftEnforcer, planTable } from '@umd/bpfilter';
import { restoredTables } from './legacy-restore.mjs';
const BUILTIN = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
};

const nft = (...args) =>
  execFileSync('nft', args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: 'pipe' });

/** The rules of `table`'s chains as { chain: [expr, ...] }. */
function rulesOf(table) {
  const out = {};
  for (const item of JSON.parse(nft('-j', 'list', 'table', 'ip', table)).nftables) {
    if (item.chain) out[item.chain.name] ??= [];
    if (item.rule) {
      out[item.rule.chain] ??= [];
      out[item.rule.chain].push(item.rule.expr);
    }
  }
  return out;
}

/** The table the rules make, restored by iptables-legacy and read back. */
async function restored(table, rules) {
  const text = [
    `*${table}`,
    ...BUILTIN[table].map((c) => `:${c} ACCEPT [0:0]`),
    ...rules.map((_, i) => `:c${i} - [0:0]`),
    ...rules.map((r, i) => `-A c${i} ${r.args}`),
    'COMMIT',
    '',
  ].join('\n');
  return (await restoredTables(text))[0];
}

/** The oracle's nft rules for one rule, installed in chain `chain` of table oracle. */
function oracle(table, rule, chain) {
  let texts = rule.nft;
  if (texts === undefined) {
    const args = rule.oracleArgs ?? rule.args;
    const line = execFileSync('sh', ['-c', `iptables-translate -t ${table} -A ${chain} ${args}`], {
      encoding: 'utf8',
    }).trim();
    const m = /^nft '?add rule ip \S+ \S+ (.*?)'?$/.exec(line);
    if (!m) return null;
    texts = [m[1]];
  }
  nft(`add chain ip oracle ${chain}`);
  try {
    for (const text of texts) nft(`add rule ip oracle ${chain} ${text}`);
  } catch {
    // iptables-translate 1.8.9 prints `ip6 dscp set` for -j TOS: nothing to compare with.
    return null;
  }
  return texts;
}

const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const enforcer = new NftEnforcer({});
const out = [];
for (const { table, rules } of cases) {
  const result = { bpfilter: {}, oracle: {}, translated: {} };
  try {
    const plan = planTable(await restored(table, rules));
    await enforcer.replace(plan);
    const listed = rulesOf(plan.nftTable);
    if (process.env.ORACLE_DEBUG)
      process.stderr.write(nft('--debug=netlink', 'list', 'table', 'ip', plan.nftTable));
    rules.forEach((_, i) => {
      result.bpfilter[`c${i}`] = listed[`c${i}`] ?? null;
    });
  } catch (error) {
    result.bpfilter = { error: String(error.message ?? error) };
  }
  nft('flush', 'ruleset');
  nft('add table ip oracle');
  rules.forEach((rule, i) => {
    result.translated[`c${i}`] = oracle(table, rule, `c${i}`);
  });
  const listed = rulesOf('oracle');
  rules.forEach((_, i) => {
    result.oracle[`c${i}`] = result.translated[`c${i}`] === null ? null : listed[`c${i}`];
  });
  nft('flush', 'ruleset');
  out.push(result);
}
console.log(JSON.stringify(out));
