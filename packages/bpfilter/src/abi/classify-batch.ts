/**
 * The CLASSIFY_BATCH command's binary format (umd-specific, little-endian): many packets in
 * one request, fixed-size records, no JSON, so a batch costs one round trip and a few
 * hundred nanoseconds a packet.
 *
 * Request (`is_set` 0, cmd {@link UMD_CMD_CLASSIFY_BATCH}):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `BFB1` |
 * | 4 | 4 | packet count N |
 * | 8 | 32 | table name, NUL-padded |
 * | 40 | 16 | hook (built-in chain) name, NUL-padded |
 * | 56 | 2 | interface name count I |
 * | 58 | 2 | local address count L (addresses of this host, for `addrtype`) |
 * | 60 | 4 | record size (48) |
 * | 64 | 8 | time, ms since the epoch, f64 (for `limit`; 0: the handler's clock) |
 * | 72 | 16 I | interface names, NUL-padded; a record's interface k >= 1 is the k-th |
 * | .. | 4 L | local addresses, u32 host order |
 * | .. | 48 N | packet records ({@link BatchRecord}) |
 *
 * Reply (status 0):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic `BFR1` |
 * | 4 | 4 | packet count N |
 * | 8 | 4 | updated entry count U |
 * | 12 | 4 | chain count C |
 * | 16 | 20 U | u32 entry index, u64 packets, u64 bytes: the counters' new totals |
 * | .. | 8 N | u8 verdict ({@link BATCH_VERDICTS}), u8 reject-with index (255: none), u16 chain index, u32 rule (1-based; 0: the chain's policy or end) |
 * | .. | 32 C | chain names, NUL-padded, in table order |
 */

/** umd command: classify a batch of packets (see the module comment). */
export const UMD_CMD_CLASSIFY_BATCH = 0x1003;
/** `BFB1` read as a little-endian u32. */
export const BATCH_REQUEST_MAGIC = 0x31424642;
/** `BFR1` read as a little-endian u32. */
export const BATCH_REPLY_MAGIC = 0x31524642;
/** Bytes of the request header before the interface names. */
export const BATCH_HEADER_SIZE = 72;
/** Bytes of one packet record. */
export const BATCH_RECORD_SIZE = 48;
/** Bytes of one interface name slot. */
export const BATCH_IFNAME_SIZE = 16;
/** Bytes of one counter update in the reply. */
export const BATCH_COUNTER_SIZE = 20;
/** Bytes of one result in the reply. */
export const BATCH_RESULT_SIZE = 8;
/** Bytes of one chain name in the reply. */
export const BATCH_CHAIN_NAME_SIZE = 32;
/** Most packets one batch may carry. */
export const BATCH_MAX_PACKETS = 1 << 20;

/** Verdicts by their code in a reply record. */
export const BATCH_VERDICTS = ['DROP', 'ACCEPT', 'QUEUE', 'REJECT', 'CANNOT_EVALUATE'] as const;
/** A verdict of a batch reply. */
export type BatchVerdict = (typeof BATCH_VERDICTS)[number];

/** Offsets of the fields of a packet record (all little-endian). */
export const BatchRecord = {
  /** u32 source address, host order. */
  source: 0,
  /** u32 destination address. */
  destination: 4,
  /** u16 ports. */
  sourcePort: 8,
  destinationPort: 10,
  /** u16 bytes counted. */
  length: 12,
  /** u8 IP protocol. */
  protocol: 14,
  /** u8 TCP flag bits. */
  tcpFlags: 15,
  icmpType: 16,
  icmpCode: 17,
  /** u8: bit 0 non-first fragment. */
  flags: 18,
  /** u16 interface index (0: none; k: the k-th name of the header). */
  inInterface: 20,
  outInterface: 22,
  /** u32 packet mark, connection mark. */
  mark: 24,
  connmark: 28,
  /** u16 conntrack state bits (xt_state's: INVALID 1, ESTABLISHED 2, RELATED 4, NEW 8, UNTRACKED 64; and SNAT 128, DNAT 256). */
  ctState: 32,
  /** u32 conntrack status bits (`IPS_*`). */
  ctStatus: 36,
  /** u32 bitmap of the TCP option kinds 0..31 present. */
  tcpOptions: 40,
} as const;

/** Fragment bit of {@link BatchRecord.flags}. */
export const BATCH_FLAG_FRAGMENT = 0x01;
