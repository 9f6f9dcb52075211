/**
 * `-m rpfilter` read from the kernel's structure (include/uapi/linux/netfilter/xt_rpfilter.h)
 * into nft's fib lookup, for both writers (raw-matches.ts for nft JSON, netlink-steering.ts
 * for netlink). xt_rpfilter's checkentry compares the iptables table's name with raw and
 * mangle, so through nft_compat it runs only in a table named so (`ip raw`, not bpfilter_raw,
 * netlink-compat.ts): Calico's strict reverse-path check of workload traffic is written
 * natively, its table keeping its bpfilter_ name; only --accept-local goes to xt. Both look the
 * route up alike: the source as destination, from loopback, the input interface's l3mdev,
 * the packet's mark with --validmark, no local route accepted; a looped-back packet and a
 * zeronet source sent to a broadcast or local multicast address pass. They differ only for a
 * source whose route is broadcast or multicast (xt: no path; nft: the route's interface),
 * which the kernel's routing drops as martian right after PREROUTING either way.
 */
import { checkRevision, UntranslatableError } from './errors.js';

/** `-m rpfilter`: `fib saddr [. mark] [. iif] oif` compared with 0 (no route back). */
export interface RpfilterTest {
  mark: boolean;
  /** Strict (not --loose): the route back must leave by the packet's input interface. */
  iif: boolean;
  invert: boolean;
}

// xt_rpfilter flags: XT_RPFILTER_LOOSE, _VALID_MARK, _ACCEPT_LOCAL, _INVERT
const RPF = { loose: 1, mark: 2, acceptLocal: 4, invert: 8 };

/**
 * `-m rpfilter` (revision 0, struct xt_rpfilter_info: u8 flags) as nft's fib lookup, which
 * takes the same route (the source as destination, the input interface's l3mdev, the mark
 * with --validmark) and passes looped-back and zeronet-to-broadcast packets as xt does.
 * `--accept-local` is refused: nft's fib finds no interface for a local route.
 */
export function rpfilterOf(data: Uint8Array, rev: number): RpfilterTest {
  checkRevision('-m rpfilter', rev, 0);
  const flags = data[0] ?? 0;
  if (flags & RPF.acceptLocal) throw new UntranslatableError('-m rpfilter', '--accept-local');
  if (flags & ~(RPF.loose | RPF.mark | RPF.invert))
    throw new UntranslatableError('-m rpfilter', `flags 0x${flags.toString(16)}`);
  return {
    mark: (flags & RPF.mark) !== 0,
    iif: (flags & RPF.loose) === 0,
    invert: (flags & RPF.invert) !== 0,
  };
}
