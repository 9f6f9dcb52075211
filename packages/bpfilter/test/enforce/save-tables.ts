/**
 * Tables as iptables-save text, built from their rule lines: the built-in chains of each
 * table with ACCEPT policies, then the lines, then COMMIT.
 */

/** The built-in chains of each table. */
const BUILTINS: Record<string, string[]> = {
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
};

/** Table `name` with `rules` (`-A ...` lines), every built-in chain's policy ACCEPT. */
const tableOf = (name: string, rules: string[]) =>
  [`*${name}`, ...BUILTINS[name]!.map((c) => `:${c} ACCEPT [0:0]`), ...rules, 'COMMIT', ''].join(
    '\n',
  );

/** A filter table of `rules` (`-A ...` lines), every policy ACCEPT. */
export const filterTable = (...rules: string[]) =>
  `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules.join('\n')}\nCOMMIT\n`;
export const rawTable = (...rules: string[]) => tableOf('raw', rules);
export const mangleTable = (...rules: string[]) => tableOf('mangle', rules);
export const natTable = (...rules: string[]) => tableOf('nat', rules);

/** Every table with no rule and ACCEPT policies: what a scenario leaves behind. */
export const EMPTY_TABLES = ['raw', 'mangle', 'nat', 'filter'].map((t) => tableOf(t, [])).join('');
