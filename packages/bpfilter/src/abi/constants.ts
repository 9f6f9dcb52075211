/**
 * Numbers of the iptables socket-option ABI (Linux `ip_tables.h`, `x_tables.h`,
 * `netfilter.h`), plus the umd-specific handler commands.
 */

/** `setsockopt` option numbers routed to bpfilter (`IPT_BASE_CTL` = 64). */
export const IPT_SO_SET_REPLACE = 64;
/** `setsockopt`: add to the counters of a table's entries. */
export const IPT_SO_SET_ADD_COUNTERS = 65;
/** `getsockopt`: a table's `ipt_getinfo`. */
export const IPT_SO_GET_INFO = 64;
/** `getsockopt`: a table's entries (`ipt_get_entries`). */
export const IPT_SO_GET_ENTRIES = 65;
/** `getsockopt`: is this revision of a match supported. */
export const IPT_SO_GET_REVISION_MATCH = 66;
/** `getsockopt`: is this revision of a target supported. */
export const IPT_SO_GET_REVISION_TARGET = 67;

/**
 * umd-specific handler commands (`is_set` = 0, but `UMD_CMD_REPLACE`, a set). They live far
 * above the kernel's option numbers (64..67) so a routed socket option can never be mistaken
 * for one; the front end never routes a caller's option number into this range.
 */
export const UMD_CMD_BASE = 0x1000;
/** Classify a packet: request JSON `{ table, hook, packet }`, reply status + JSON result. */
export const UMD_CMD_CLASSIFY = 0x1001;
/** Names of the tables in use, newest first, one per line (as `/proc/net/ip_tables_names`). */
export const UMD_CMD_TABLE_NAMES = 0x1002;
/**
 * A set, no data: the sets that rules name are the kernel's of this network namespace (the
 * front end enforces, and answers SO_IP_SET from the kernel), so the handler takes their
 * indexes. Sent in every new handler's post-start, before the kept tables come back.
 */
export const UMD_CMD_KERNEL_SETS = 0x1006;

/** Netfilter IPv4 hooks, in kernel order (`enum nf_inet_hooks`). */
export const NF_INET_PRE_ROUTING = 0;
export const NF_INET_LOCAL_IN = 1;
export const NF_INET_FORWARD = 2;
export const NF_INET_LOCAL_OUT = 3;
export const NF_INET_POST_ROUTING = 4;
/** Number of hooks: the length of `hook_entry` and `underflow`. */
export const NF_INET_NUMHOOKS = 5;

/** iptables' chain name of each hook, indexed by hook number. */
export const HOOK_NAMES = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;
/** A built-in chain name. */
export type HookName = (typeof HOOK_NAMES)[number];

/** Netfilter verdicts (`NF_DROP`...). A standard target stores `-verdict - 1`. */
export const NF_DROP = 0;
export const NF_ACCEPT = 1;
export const NF_STOLEN = 2;
export const NF_QUEUE = 3;
export const NF_REPEAT = 4;
/** Standard-target verdict values as stored in the ABI. */
export const VERDICT_DROP = -NF_DROP - 1; // -1
export const VERDICT_ACCEPT = -NF_ACCEPT - 1; // -2
export const VERDICT_QUEUE = -NF_QUEUE - 1; // -4
export const VERDICT_RETURN = -NF_REPEAT - 1; // -5 (XT_RETURN)

/** Target names with special meaning (`XT_STANDARD_TARGET`, `XT_ERROR_TARGET`). */
export const XT_STANDARD_TARGET = '';
export const XT_ERROR_TARGET = 'ERROR';

/** `ipt_ip.flags`. */
export const IPT_F_FRAG = 0x01;
export const IPT_F_GOTO = 0x02;
export const IPT_F_MASK = 0x03;

/** `ipt_ip.invflags`. */
export const IPT_INV_VIA_IN = 0x01;
export const IPT_INV_VIA_OUT = 0x02;
export const IPT_INV_TOS = 0x04;
export const IPT_INV_SRCIP = 0x08;
export const IPT_INV_DSTIP = 0x10;
export const IPT_INV_FRAG = 0x20;
export const IPT_INV_PROTO = 0x40;
export const IPT_INV_MASK = 0x7f;

/** `xt_tcp.invflags`. */
export const XT_TCP_INV_SRCPT = 0x01;
export const XT_TCP_INV_DSTPT = 0x02;
export const XT_TCP_INV_FLAGS = 0x04;
export const XT_TCP_INV_OPTION = 0x08;
export const XT_TCP_INV_MASK = 0x0f;
/** `xt_udp.invflags`. */
export const XT_UDP_INV_SRCPT = 0x01;
export const XT_UDP_INV_DSTPT = 0x02;
export const XT_UDP_INV_MASK = 0x03;
/** `ipt_icmp.invflags`. */
export const IPT_ICMP_INV = 0x01;

/** `ipt_log_info.logflags`. */
export const IPT_LOG_TCPSEQ = 0x01;
export const IPT_LOG_TCPOPT = 0x02;
export const IPT_LOG_IPOPT = 0x04;
export const IPT_LOG_UID = 0x08;
export const IPT_LOG_MACDECODE = 0x20;
export const IPT_LOG_MASK = 0x2f;

/** IP protocol numbers the engine understands. */
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

/** Linux errno values (x86-64) used in replies; replies carry them negated. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EAGAIN: 11,
  ENOMEM: 12,
  EFAULT: 14,
  EINVAL: 22,
  EDOM: 33,
  ERANGE: 34,
  ELOOP: 40,
  EPROTO: 71,
  EPROTOTYPE: 91,
  EBADMSG: 74,
  ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
} as const;
