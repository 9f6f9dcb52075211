/**
 * Which socket options go to bpfilter: the kernel's `ip_setsockopt`/`ip_getsockopt` hand
 * options in [IPT_SO_SET_REPLACE, IPT_SO_SET_ADD_COUNTERS] and
 * [IPT_SO_GET_INFO, IPT_SO_GET_REVISION_TARGET] to bpfilter; anything else is not ours,
 * except `SO_IP_SET`, which iptables' set extensions need answered.
 */
import {
  IPT_SO_GET_INFO,
  IPT_SO_GET_REVISION_TARGET,
  IPT_SO_SET_ADD_COUNTERS,
  IPT_SO_SET_REPLACE,
} from '../abi/constants.js';
import { SO_IP_SET } from '../handler/ipset-sockopt.js';

/** `SO_IP_SET`: libxt_set's set lookups (the kernel answers them when bpfilter enforces). */
export { SO_IP_SET };

/** Is `optname` a `setsockopt` option bpfilter handles? */
export function isRoutedSet(optname: number): boolean {
  return (
    Number.isInteger(optname) && optname >= IPT_SO_SET_REPLACE && optname <= IPT_SO_SET_ADD_COUNTERS
  );
}

/** Is `optname` a `getsockopt` option bpfilter handles? */
export function isRoutedGet(optname: number): boolean {
  return (
    Number.isInteger(optname) &&
    ((optname >= IPT_SO_GET_INFO && optname <= IPT_SO_GET_REVISION_TARGET) || optname === SO_IP_SET)
  );
}
