/**
 * Why nft's JSON refuses an extension it has no form for (`-m recent`, `-j NFQUEUE`, an
 * unknown one). With the netlink helper such rules are enforced anyway, through nft_compat
 * (netlink-compat.ts); this refusal is what is left where no batch can carry them.
 */
import { UntranslatableError } from './errors.js';

const WHY =
  "nft has no form for it; bpfilter enforces it through nft_compat (the kernel's own xt module), which only the netlink batch can carry: this build has no bpfilter_nft_batch helper (no C compiler), or another rule of the table goes to nft alone";

/** The refusal of an extension only nft_compat runs: the table needs the netlink batch. */
export class CompatOnly extends UntranslatableError {}

/** The refusal of `extension`, which nft's JSON cannot express. */
export function untranslated(extension: string): UntranslatableError {
  return new CompatOnly(extension, WHY);
}
