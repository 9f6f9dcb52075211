/** The `invflags` of a rule's IP part (`ipt_ip`) and the model's {@link IpInversions}, both ways. */
import * as abi from '../abi/constants.js';
import type { IpInversions } from './types.js';

/** Each bit the model holds, with the field that says it. */
const BITS: readonly (readonly [bit: number, field: keyof IpInversions])[] = [
  [abi.IPT_INV_SRCIP, 'source'],
  [abi.IPT_INV_DSTIP, 'destination'],
  [abi.IPT_INV_VIA_IN, 'inInterface'],
  [abi.IPT_INV_VIA_OUT, 'outInterface'],
  [abi.IPT_INV_PROTO, 'protocol'],
  [abi.IPT_INV_FRAG, 'fragment'],
];

/** The `invflags` bits of a rule's IP part that the model holds (as its IpInversions). */
export const IP_INVERSIONS = BITS.reduce((all, [bit]) => all | bit, 0);

/** The inversions `invflags` sets; `undefined` when it sets none the model holds. */
export function inversionsOf(invflags: number): IpInversions | undefined {
  if ((invflags & IP_INVERSIONS) === 0) return undefined;
  const invert: IpInversions = {};
  for (const [bit, field] of BITS) if (invflags & bit) invert[field] = true;
  return invert;
}

/** The `invflags` of `invert`. */
export function inversionFlags(invert: IpInversions): number {
  let flags = 0;
  for (const [bit, field] of BITS) if (invert[field]) flags |= bit;
  return flags;
}
