/** Strings in iptables-save output: quoted and escaped as libxtables' `xtables_save_string` does. */

const PLAIN = /^[A-Za-z0-9_-]+$/;

/** ` value` or ` "va\"lue"`: bare when it is only letters, digits, `_` and `-`, else quoted with `"`, `\` and `'` escaped. */
export function saveString(value: string): string {
  if (PLAIN.test(value)) return ` ${value}`;
  return ` "${value.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}
