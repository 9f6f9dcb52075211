/**
 * `-j TTL --ttl-inc/--ttl-dec N`: xt_HL adds to or takes from the TTL, clamped at 255 and 0.
 * nf_tables has no addition (its bitwise does and, or, xor and shifts), so the rule becomes one
 * nft rule per old TTL (a range for the clamped ones), each setting the new value: `ip ttl K
 * ... ip ttl set K+N`. In an order where no rule meets a TTL an earlier one wrote (increments
 * from the highest TTL down, decrements from the lowest up), a packet is matched, counted
 * and changed by exactly one of them; the entry counts their sum (ct-alternatives.ts).
 */
import { UntranslatableError } from './errors.js';

/** One nft rule of the split: the old TTLs `from..to` it tests, the TTL it writes. */
export interface TtlStep {
  from: number;
  to: number;
  set: number;
}

const TTL_SET = 0;
const TTL_INC = 1;
const TTL_DEC = 2;

/**
 * The steps of `-j TTL` (struct ipt_TTL_info: u8 mode, u8 ttl), in rule order; undefined for
 * `--ttl-set` (one rule).
 */
export function ttlSteps(data: Uint8Array, revision: number): TtlStep[] | undefined {
  const mode = data[0] ?? 255;
  const n = data[1] ?? 0;
  if (revision !== 0 || mode === TTL_SET) return undefined;
  if (mode !== TTL_INC && mode !== TTL_DEC) throw new UntranslatableError('-j TTL', `mode ${mode}`);
  const steps: TtlStep[] = [];
  if (mode === TTL_INC) {
    steps.push({ from: Math.max(255 - n, 0), to: 255, set: 255 });
    for (let k = 254 - n; k >= 0; k--) steps.push({ from: k, to: k, set: k + n });
  } else {
    steps.push({ from: 0, to: Math.min(n, 255), set: 0 });
    for (let k = n + 1; k <= 255; k++) steps.push({ from: k, to: k, set: k - n });
  }
  return steps;
}
