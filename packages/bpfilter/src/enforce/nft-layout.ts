/**
 * Which kernel objects enforcement owns: one nftables table per iptables table, in the `ip`
 * family, named `bpfilter_<table>`, or the iptables table's own name when it holds an xt
 * extension bound to that name (netlink-compat.ts), marked as bpfilter's by its comment; in
 * it one base chain per built-in chain, at the hook and priority of the iptables table it
 * stands for (so it runs where iptables' own would), and one regular chain per user chain,
 * under the same names.
 */
import { HOOK_NAMES, type HookName } from '../abi/index.js';

/** Prefix of every nftables table enforcement owns. */
export const NFT_TABLE_PREFIX = 'bpfilter_';

/** The nftables table that enforces iptables table `table`. */
export function nftTableName(table: string): string {
  return `${NFT_TABLE_PREFIX}${table}`;
}

/**
 * The comment (NFTA_TABLE_USERDATA) of every table enforcement writes over netlink: what tells
 * bpfilter's plainly-named tables (`ip raw`) from iptables-nft's, which use the same names.
 */
export const OWNER_COMMENT = 'bpfilter enforcement';

/** nftables base-chain settings of a built-in chain. */
export interface BaseChainSpec {
  /** nft chain type. */
  type: 'filter' | 'route' | 'nat';
  /** nft hook name. */
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  /** Priority: the `NF_IP_PRI_*` of the iptables table. */
  prio: number;
}

const NFT_HOOK: Record<HookName, BaseChainSpec['hook']> = {
  PREROUTING: 'prerouting',
  INPUT: 'input',
  FORWARD: 'forward',
  OUTPUT: 'output',
  POSTROUTING: 'postrouting',
};

// include/uapi/linux/netfilter_ipv4.h: NF_IP_PRI_RAW -300, MANGLE -150, NAT_DST -100,
// FILTER 0, SECURITY 50, NAT_SRC 100.
const PRIORITY: Record<string, number | Partial<Record<HookName, number>>> = {
  raw: -300,
  mangle: -150,
  filter: 0,
  security: 50,
  nat: { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100 },
};

/** The base chain standing for built-in chain `chain` of `table`; undefined if it is none. */
export function baseChainSpec(table: string, chain: string): BaseChainSpec | undefined {
  if (!(HOOK_NAMES as readonly string[]).includes(chain)) return undefined;
  const hookName = chain as HookName;
  const priority = PRIORITY[table];
  const prio = typeof priority === 'number' ? priority : priority?.[hookName];
  if (prio === undefined) return undefined;
  // iptable_mangle re-routes locally generated packets whose mark or addresses changed:
  // nftables does that in a `route` chain.
  const type =
    table === 'nat' ? 'nat' : table === 'mangle' && chain === 'OUTPUT' ? 'route' : 'filter';
  return { type, hook: NFT_HOOK[hookName], prio };
}

/** Whether enforcement knows where `table`'s chains hook in. */
export function isEnforceableTable(table: string): boolean {
  return table in PRIORITY;
}
