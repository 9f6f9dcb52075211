/** TCP flag lists of `--tcp-flags MASK COMP` (libxt_tcp's names and print order). */

const FLAGS: ReadonlyArray<[string, number]> = [
  ['FIN', 0x01],
  ['SYN', 0x02],
  ['RST', 0x04],
  ['PSH', 0x08],
  ['ACK', 0x10],
  ['URG', 0x20],
];
const ALL = 0x3f;

/** Parses `SYN,ACK`, `ALL` or `NONE` into a flag byte. */
export function parseTcpFlags(text: string): number {
  let value = 0;
  for (const name of text.split(',')) {
    const upper = name.toUpperCase();
    if (upper === 'ALL') value |= ALL;
    else if (upper === 'NONE') continue;
    else {
      const flag = FLAGS.find(([n]) => n === upper);
      if (!flag) throw new SyntaxError(`unknown TCP flag "${name}"`);
      value |= flag[1];
    }
  }
  return value;
}

/** Prints a flag byte as iptables-save does: names in FIN..URG order, or `NONE`. */
export function formatTcpFlags(value: number): string {
  const names = FLAGS.filter(([, bit]) => value & bit).map(([name]) => name);
  return names.length > 0 ? names.join(',') : 'NONE';
}

/** `--syn`: `--tcp-flags FIN,SYN,RST,ACK SYN`. */
export const SYN_ONLY = { mask: 0x17, compare: 0x02 } as const;
