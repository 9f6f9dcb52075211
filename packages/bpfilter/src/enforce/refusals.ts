/**
 * Why enforcement refuses the extensions real clients use that have no exact nftables form
 * (read from the kernel's xt_* sources and nft's expressions; the docs' Limits say the same).
 * The refusal names the extension and says why, so that an administrator whose whole restore
 * failed knows which rule to change.
 */
import { UntranslatableError } from './errors.js';

const WHY: Record<string, string> = {
  '-m recent':
    "xt_recent counts an address's hits within --seconds (its last packet times); nft's sets keep one timeout or token bucket per element",
  '-m hashlimit':
    'a full xt_hashlimit table drops the packet where a full nft set lets the rule not match; nft has no --hashlimit-htable-* gc',
  '-m string': 'nft has no payload search (xt_string runs a text search over the packet)',
  '-m set': "ipset's sets live outside nf_tables: nft cannot look them up",
  '-m physdev': "nft's ip family does not see the bridge port of a bridged packet",
  '-j CHECKSUM':
    'it fills a checksum left to offload (skb_checksum_help); nft has no statement that does',
  '-j NFQUEUE':
    'its nft form (queue num) needs nft_queue, which this kernel lacks (CONFIG_NFT_QUEUE): untested, refused',
};

/** The refusal of `extension`, which bpfilter does not translate. */
export function untranslated(extension: string): UntranslatableError {
  return new UntranslatableError(
    extension,
    WHY[extension] ?? 'no nftables translation in bpfilter',
  );
}
