/** ICMP type names `--icmp-type` accepts (libxt_icmp's table): name -> type and code range. */

/** A type with the codes it covers. */
export interface IcmpTypeSpec {
  type: number;
  codeMin: number;
  codeMax: number;
}

const ANY_CODE = [0, 0xff] as const;

const NAMES: ReadonlyArray<[string, number, readonly [number, number] | number]> = [
  ['any', 0xff, ANY_CODE],
  ['echo-reply', 0, ANY_CODE],
  ['pong', 0, ANY_CODE],
  ['destination-unreachable', 3, ANY_CODE],
  ['network-unreachable', 3, 0],
  ['host-unreachable', 3, 1],
  ['protocol-unreachable', 3, 2],
  ['port-unreachable', 3, 3],
  ['fragmentation-needed', 3, 4],
  ['source-route-failed', 3, 5],
  ['network-unknown', 3, 6],
  ['host-unknown', 3, 7],
  ['network-prohibited', 3, 9],
  ['host-prohibited', 3, 10],
  ['TOS-network-unreachable', 3, 11],
  ['TOS-host-unreachable', 3, 12],
  ['communication-prohibited', 3, 13],
  ['host-precedence-violation', 3, 14],
  ['precedence-cutoff', 3, 15],
  ['source-quench', 4, ANY_CODE],
  ['redirect', 5, ANY_CODE],
  ['network-redirect', 5, 0],
  ['host-redirect', 5, 1],
  ['TOS-network-redirect', 5, 2],
  ['TOS-host-redirect', 5, 3],
  ['echo-request', 8, ANY_CODE],
  ['ping', 8, ANY_CODE],
  ['router-advertisement', 9, ANY_CODE],
  ['router-solicitation', 10, ANY_CODE],
  ['time-exceeded', 11, ANY_CODE],
  ['ttl-exceeded', 11, ANY_CODE],
  ['ttl-zero-during-transit', 11, 0],
  ['ttl-zero-during-reassembly', 11, 1],
  ['parameter-problem', 12, ANY_CODE],
  ['ip-header-bad', 12, 0],
  ['required-option-missing', 12, 1],
  ['timestamp-request', 13, ANY_CODE],
  ['timestamp-reply', 14, ANY_CODE],
  ['address-mask-request', 17, ANY_CODE],
  ['address-mask-reply', 18, ANY_CODE],
];

const BY_NAME = new Map<string, IcmpTypeSpec>(
  NAMES.map(([name, type, code]) => [
    name.toLowerCase(),
    typeof code === 'number'
      ? { type, codeMin: code, codeMax: code }
      : { type, codeMin: code[0], codeMax: code[1] },
  ]),
);

/** Parses `--icmp-type` values: a name (`echo-request`), `TYPE` or `TYPE/CODE`. */
export function parseIcmpType(text: string): IcmpTypeSpec {
  const named = BY_NAME.get(text.toLowerCase());
  if (named) return { ...named };
  const match = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(text);
  const type = Number(match?.[1]);
  const code = match?.[2] === undefined ? undefined : Number(match[2]);
  if (!match || type > 0xff || (code !== undefined && code > 0xff))
    throw new SyntaxError(`invalid ICMP type "${text}"`);
  return code === undefined
    ? { type, codeMin: 0, codeMax: 0xff }
    : { type, codeMin: code, codeMax: code };
}

/** `--icmp-type` as iptables-save prints it: `any`, `TYPE` or `TYPE/CODE` (the lower code). */
export function formatIcmpType(spec: IcmpTypeSpec): string {
  if (spec.type === 0xff) return 'any';
  return spec.codeMin !== 0 || spec.codeMax !== 0xff
    ? `${spec.type}/${spec.codeMin}`
    : `${spec.type}`;
}
