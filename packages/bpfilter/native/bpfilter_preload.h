/*
 * Constants shared by the preload library and its tests. The TypeScript side has the same
 * numbers in src/abi/constants.ts and src/service/protocol.ts; src/service/protocol.test.ts
 * keeps them in step.
 */
#ifndef BPFILTER_PRELOAD_H
#define BPFILTER_PRELOAD_H

/* Environment variable naming the service's Unix socket. */
#define BPFILTER_SOCKET_ENV "BPFILTER_SOCKET"

/* The kernel's procfs list of iptables tables, one name per line. */
#define PROC_TABLE_NAMES "/proc/net/ip_tables_names"

/* iptables socket options (linux/netfilter_ipv4/ip_tables.h). */
#define IPT_SO_SET_REPLACE 64
#define IPT_SO_SET_ADD_COUNTERS 65
#define IPT_SO_GET_INFO 64
#define IPT_SO_GET_ENTRIES 65
#define IPT_SO_GET_REVISION_MATCH 66
#define IPT_SO_GET_REVISION_TARGET 67
/* ipset's lookup option (libxt_set): answered by the service like the iptables gets. */
#define SO_IP_SET 83

/* struct ipt_replace on x86-64: num_counters at 84, the counters pointer at 88. */
#define IPT_REPLACE_NUM_COUNTERS_OFFSET 84
#define IPT_REPLACE_COUNTERS_OFFSET 88
#define IPT_REPLACE_HEADER_SIZE 96
#define XT_COUNTERS_SIZE 16

/*
 * What the kernel reads of a get's buffer: struct ipt_getinfo, struct ipt_get_entries without
 * its entries, struct xt_get_revision, and at most this much of an ipset request (its largest,
 * ip_set_req_get_set_family, is 44 bytes). The rest of the buffer is only written.
 */
#define IPT_GETINFO_SIZE 84
#define IPT_GET_ENTRIES_HEADER_SIZE 40
#define XT_GET_REVISION_SIZE 30
#define IP_SET_REQUEST_MAX 64

/* The kernel's struct mbox_request: u64 addr, u32 len, u32 is_set, u32 cmd, u32 pid. */
#define MBOX_REQUEST_SIZE 24

/*
 * A get with this command asks the service for the table names, answered as the kernel's
 * /proc/net/ip_tables_names reads ("name\n" per table, newest first). It lies outside the
 * iptables option numbers, so a real client can never send it.
 */
#define BPFILTER_UMD_GET_TABLE_NAMES 0x1002

#endif
