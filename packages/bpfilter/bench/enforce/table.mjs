// The filter tables the enforcement bench applies: iptables-save text for the restores and
// the translated nft batch for `nft -j -f` alone.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSave, planTable, replaceTransaction } from '@umd/bpfilter';

/**
 * N rules no ICMP packet on lo matches: addresses, ports, interfaces, as real tables mix them.
 * `variant` shifts every port, so rounds alternate two tables and each applies a table that
 * differs from the one in force (nothing may skip work because the new table is the old one).
 * BENCH_TABLE=prefix makes it a blocklist of /24 prefixes instead (the same table each round),
 * BENCH_TABLE=prefixport a /24 and a port per rule, BENCH_TABLE=range an address and a range
 * of 2 to 65 ports per rule, BENCH_TABLE=reject fail2ban's bans (a REJECT per address),
 * BENCH_TABLE=acct traffic accounting: `-s HOST` and `-d HOST` per host, no target (counted
 * sets), `variant` shifting every host, BENCH_TABLE=log a logged blocklist: `-s HOST -j LOG
 * --log-prefix "bl: "` then `-s HOST -j DROP` per host, `variant` shifting every host.
 */
export function rules(n, variant) {
  const lines = ['*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  const kind = process.env.BENCH_TABLE ?? 'mixed';
  for (let i = 0; i < n; i++) {
    const a = `10.${(i >> 8) & 255}.${i & 255}.1`;
    const port = 1000 + variant + (i % 60000);
    const net = `10.${(i >> 8) & 255}.${i & 255}.0/24`;
    if (kind === 'prefix') lines.push(`-A INPUT -s ${net} -j DROP`);
    else if (kind === 'acct')
      lines.push(
        `-A INPUT -${i % 2 ? 'd' : 's'} 10.${(i >> 9) & 255}.${(i >> 1) & 255}.${1 + variant}/32`,
      );
    else if (kind === 'log') {
      const host = `10.${(i >> 9) & 255}.${(i >> 1) & 255}.${1 + variant}/32`;
      lines.push(`-A INPUT -s ${host} ${i % 2 ? '-j DROP' : '-j LOG --log-prefix "bl: "'}`);
    } else if (kind === 'reject')
      lines.push(`-A INPUT -s ${a}/32 -j REJECT --reject-with icmp-port-unreachable`);
    else if (kind === 'prefixport')
      lines.push(`-A INPUT -s ${net} -p tcp -m tcp --dport ${port} -j DROP`);
    else if (kind === 'range')
      lines.push(
        `-A INPUT -s ${a}/32 -p tcp -m tcp --dport ${port}:${port + 1 + (i % 64)} -j DROP`,
      );
    else if (i % 5 === 0)
      lines.push(`-A INPUT -i eth${i % 8} -p udp -m udp --dport ${port} -j DROP`);
    else if (i % 7 === 0)
      lines.push(`-A INPUT -d 192.0.2.${(i + variant) % 256}/32 -s ${a}/32 -j ACCEPT`);
    else lines.push(`-A INPUT -s ${a}/32 -p tcp -m tcp --dport ${port} -j DROP`);
  }
  lines.push('COMMIT', '');
  return lines.join('\n');
}

/** The two variants of the N-rule table, written into `dir`: the rules and the nft batch. */
export function writeTables(dir, n) {
  return [0, 1].map((variant) => {
    const rulesFile = join(dir, `rules-${variant}.txt`);
    const text = rules(n, variant);
    writeFileSync(rulesFile, text);
    const [parsed] = parseSave(text);
    const batchFile = join(dir, `batch-${variant}.json`);
    const plan = planTable({ name: 'filter', chains: parsed.chains });
    writeFileSync(batchFile, JSON.stringify(replaceTransaction([plan])));
    return { rulesFile, batchFile };
  });
}
