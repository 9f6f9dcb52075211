/**
 * The checkentry rules of `-m set` (xt_set's `set_match_v*_checkentry`) and `-j SET`
 * (`set_target_v*_checkentry`): every set a rule names must exist, within IPSET_DIM_MAX
 * dimensions. The sets are the kernel's, and only enforcing does bpfilter see them
 * (`CheckEnvironment.setExists`); the kernel's own check at install has the last word.
 */
import {
  type CheckContext,
  type CheckResult,
  Errno,
  refusal,
  u8,
  u16,
  u32,
} from './extension-spec.js';
import { IPSET_INVALID_ID } from './ipset-sockopt.js';

/** `IPSET_DIM_MAX`: the most dimensions (address, port, ...) a set lookup may use. */
const IPSET_DIM_MAX = 6;
/** sizeof `xt_set_info_v0` (revision 0) and `xt_set_info` (later ones). */
const INFO_V0_SIZE = 32;
const INFO_SIZE = 4;

/** The set at `offset` (an `xt_set_info[_v0]`): why the kernel refuses it, if it does. */
function checkSetAt(
  what: string,
  { data, revision, env }: CheckContext,
  offset: number,
): CheckResult {
  const index = u16(data, offset);
  if (!env.setExists(index))
    return refusal(
      Errno.ENOENT,
      `${what}: no set with index ${index} (bpfilter knows the kernel's ipsets only when it enforces)`,
    );
  // Revision 0 keeps the dimensions as flags, one word per dimension (`u.flags`).
  const over =
    revision === 0
      ? u32(data, offset + 4 + 4 * (IPSET_DIM_MAX - 1)) !== 0
      : u8(data, offset + 2) > IPSET_DIM_MAX;
  return over ? refusal(Errno.ERANGE, `${what}: set dimension over the limit`) : undefined;
}

/** `set_match_v*_checkentry`: the set matched must exist. */
export const checkSetMatch = (ctx: CheckContext): CheckResult => checkSetAt('set', ctx, 0);

/** Where a `-j SET` of `revision` holds its sets (add, del, and in revision 3 map). */
export function setTargetOffsets(revision: number): number[] {
  const size = revision === 0 ? INFO_V0_SIZE : INFO_SIZE;
  return Array.from({ length: revision === 3 ? 3 : 2 }, (_, i) => i * size);
}

/** `set_target_v*_checkentry`: each set named (add, del, and in revision 3 map) must exist. */
export function checkSetTarget(ctx: CheckContext): CheckResult {
  for (const offset of setTargetOffsets(ctx.revision)) {
    if (u16(ctx.data, offset) === IPSET_INVALID_ID) continue;
    const refused = checkSetAt('SET', ctx, offset);
    if (refused !== undefined) return refused;
  }
  return undefined;
}
